/** Headers on every reply: no MIME sniffing, never rendered in a frame (old and CSP-aware browsers alike). */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
} as const;

/**
 * The browsable docs page (/docs, Swagger UI) loads only its own scripts, styles and the OpenAPI
 * document from this server; Swagger UI styles elements inline and shows data: images.
 */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'self'; base-uri 'self'; connect-src 'self'; font-src 'self' data:; form-action 'self'; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'";
