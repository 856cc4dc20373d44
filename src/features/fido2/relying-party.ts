import { isIP } from 'node:net';
import { invalidConfiguration } from '../../config/config-error.js';

/** Who the ceremonies are for: the RP ID credentials are scoped to, its name, and the origins responses may come from. */
export interface RelyingParty {
  id: string;
  name: string;
  origins: readonly string[];
}

export interface RelyingPartySettings {
  /** fido2.rpId; empty derives it. */
  rpId: string;
  rpName: string;
  /** fido2.origins; empty derives them. */
  origins: readonly string[];
  /** The configured publicBaseUrl; empty when not set. */
  publicBaseUrl: string;
  /** The configured port; 0 when the server picks one (known once it listens). */
  port: number;
}

export interface ResolvedRelyingParty {
  /** The relying party now: with a derived localhost origin, its port is the one the server listens on. */
  current(): RelyingParty;
  /** Why derivation fell back (for the start-up log). */
  warnings: string[];
}

const isLocalhost = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/** The RP ID's domain or a subdomain of it (WebAuthn: the RP ID is a registrable suffix of the origin's effective domain). */
const onRpId = (host: string, rpId: string) => host === rpId || host.endsWith(`.${rpId}`);

/**
 * fido2.rpId and fido2.origins with their derivations: publicBaseUrl's host and origin when set,
 * otherwise RP ID `localhost` and origin http://localhost:<port>, since an IP address cannot be an
 * RP ID. Configured origins are checked: web origins must be secure (https, or http on localhost)
 * and on the RP ID; other schemes (android:apk-key-hash:…, app origins) are taken as given.
 * Mistakes are ConfigErrors naming the option.
 */
export function resolveRelyingParty(
  settings: RelyingPartySettings,
  listeningPort: () => number | undefined,
): ResolvedRelyingParty {
  const warnings: string[] = [];
  const base = settings.publicBaseUrl ? new URL(settings.publicBaseUrl) : undefined;
  const baseHost = base?.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(settings.rpId))
    throw invalidConfiguration(`fido2.rpId = "${settings.rpId}": an IP address cannot be a WebAuthn RP ID`);

  let rpId = settings.rpId.toLowerCase();
  if (!rpId) {
    if (baseHost && isIP(baseHost) === 0) rpId = baseHost;
    else {
      rpId = 'localhost';
      if (baseHost)
        warnings.push(
          `publicBaseUrl's host ${baseHost} is an IP address, which cannot be a WebAuthn RP ID: using RP ID localhost (set fido2.rpId and fido2.origins)`,
        );
    }
  }

  const configured = settings.origins.map((origin) => checkOrigin(origin, rpId));
  if (configured.length > 0) {
    const origins = Object.freeze([...new Set(configured)]);
    return { current: () => ({ id: rpId, name: settings.rpName, origins }), warnings };
  }
  if (base && baseHost && onRpId(baseHost, rpId) && (base.protocol === 'https:' || isLocalhost(baseHost))) {
    const origins = Object.freeze([base.origin]);
    return { current: () => ({ id: rpId, name: settings.rpName, origins }), warnings };
  }
  if (rpId !== 'localhost') {
    const origins = Object.freeze([`https://${rpId}`]);
    return { current: () => ({ id: rpId, name: settings.rpName, origins }), warnings };
  }
  // localhost: the port is publicBaseUrl's, the configured one, or (port 0) the one the server ends up on.
  const fixedPort = base ? Number(base.port || (base.protocol === 'https:' ? 443 : 80)) : settings.port;
  const originFor = (port: number | undefined) => {
    const shown = port === undefined || port === 80 ? '' : `:${port}`;
    return Object.freeze([`http://localhost${shown}`]);
  };
  const fixed = fixedPort !== 0 ? originFor(fixedPort) : undefined;
  let listened: { port: number; origins: readonly string[] } | undefined;
  return {
    current() {
      let origins = fixed;
      if (!origins) {
        const port = listeningPort();
        if (listened?.port !== port) listened = port === undefined ? undefined : { port, origins: originFor(port) };
        origins = listened?.origins ?? originFor(undefined);
      }
      return { id: rpId, name: settings.rpName, origins };
    },
    warnings,
  };
}

/** A configured origin in its serialized form; ConfigError when it cannot be one for `rpId`. */
function checkOrigin(origin: string, rpId: string): string {
  const refuse = (why: string) => invalidConfiguration(`fido2.origins: "${origin}" ${why}`);
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw refuse('is not an origin');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return origin;
  if (url.origin !== origin.replace(/\/$/, ''))
    throw refuse(`is not an origin (scheme://host[:port] only, e.g. ${url.origin})`);
  const host = url.hostname.toLowerCase();
  if (url.protocol === 'http:' && !isLocalhost(host))
    throw refuse('uses http: only localhost may (WebAuthn needs a secure context)');
  if (!onRpId(host, rpId)) throw refuse(`is not on the RP ID ${rpId} (its host must be ${rpId} or a subdomain)`);
  return url.origin;
}
