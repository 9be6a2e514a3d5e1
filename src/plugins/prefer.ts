// RFC 7240 `Prefer` as far as this API honours it: `return=minimal` on batch writes. Several
// preferences may share a header (or come as several headers, which Node joins with ", "),
// each `token[=value]` with optional `;`-parameters; names are case-insensitive, a value may be
// quoted (a quoted value holding a comma or semicolon is not understood, and counts as no
// preference). Unknown preferences are ignored, as the RFC asks. (The one npm parser for this,
// parse-prefer-header 1.0.0, has not been released since 2015; this is the whole grammar the
// service needs.)

/** Whether the request asks for `return=minimal` (an answer without the representation). */
export function prefersMinimal(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [pref] = part.split(';');
    const eq = pref.indexOf('=');
    if ((eq < 0 ? pref : pref.slice(0, eq)).trim().toLowerCase() !== 'return') continue;
    // The first `return` decides (RFC 7240 section 2); its value is matched case-insensitively, leniently.
    return eq >= 0 && pref.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase() === 'minimal';
  }
  return false;
}

/** The response header that says the preference was applied (RFC 7240 section 3). */
export const MINIMAL_APPLIED = { 'preference-applied': 'return=minimal' } as const;
