/** The console's one cookie: read from a Cookie header, written as a Set-Cookie value. */

/** `__Host-` binds the cookie to this origin (Secure, path /, no Domain) where TLS allows it. */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-keyward-console' : 'keyward-console');

/** The value of cookie `name` in a Cookie header, if present and well-formed (base64url). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
    const value = pair.slice(separator + 1).trim();
    return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
  }
  return undefined;
}

/** HttpOnly, SameSite=Strict, Secure over TLS; a session cookie (no Max-Age) unless clearing. */
export function sessionCookie(name: string, value: string, options: { secure: boolean; clear?: boolean }): string {
  return [
    `${name}=${options.clear ? '' : value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    ...(options.secure ? ['Secure'] : []),
    ...(options.clear ? ['Max-Age=0'] : []),
  ].join('; ');
}
