/** What an API answer may load or be framed by: nothing. (Swagger UI under /docs is exempt.) */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * The headers helmet sets with the options in protections.ts, plus the API's CSP. Answers that
 * Fastify sends before any hook runs (framework errors: a malformed URL, an over-long path
 * parameter) get them from sendProblem instead, so no answer goes out without them.
 */
export const BASELINE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': API_CSP,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'cross-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};
