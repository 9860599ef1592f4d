/**
 * Whether `range` is a valid npm-style semver range (node-semver's grammar, docs.npmjs.com/cli/v6/using-npm/semver):
 * `||`-separated sets of comparators (`>=1.2.3 <2`), hyphen ranges (`1.2 - 2.3.4`), tilde and caret ranges, and
 * x-ranges (`1.x`, `*`, ''). Neuropod rejects a config whose platform_version_semver is not one.
 */
export function isSemverRange(range: string): boolean {
  return range.split('||').every((set) => isComparatorSet(set.trim()));
}

const NUMBER = '(?:0|[1-9]\\d*)';
const X = `(?:${NUMBER}|[xX*])`;
const IDENTIFIERS = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
const PARTIAL = `v?${X}(?:\\.${X}(?:\\.${X}(?:-${IDENTIFIERS})?(?:\\+${IDENTIFIERS})?)?)?`;
const HYPHEN = new RegExp(`^${PARTIAL}\\s+-\\s+${PARTIAL}$`);
const COMPARATOR = new RegExp(`^(?:<=|>=|<|>|=|~>|~|\\^)?${PARTIAL}$`);

function isComparatorSet(set: string): boolean {
  if (set === '') return true;
  if (HYPHEN.test(set)) return true;
  // npm allows a space between an operator and its version: '>= 1.2.3'.
  const joined = set.replace(/(<=|>=|<|>|=|~>|~|\^)\s+/g, '$1');
  return joined.split(/\s+/).every((c) => COMPARATOR.test(c));
}
