// Instants as the API and the repo spell them (RFC 3339), one strict rule for both: lock bounds
// from clients and lock files from the repo are read alike.

const RFC_3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant of an RFC 3339 date-time with an offset (`Z` or `±HH:MM`), in milliseconds since
 * the epoch; undefined for anything else, a day that does not exist (2026-02-30) included, which
 * Date.parse would roll over into March. Fractions beyond milliseconds are cut off.
 */
export function parseRfc3339(text: string): number | undefined {
  const match = RFC_3339.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [offsetHours, offsetMinutes] = [Number(match[10] ?? 0), Number(match[11] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // A leap second (:60) is refused: JavaScript time has none.
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const milliseconds = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  const sign = match[9] === '-' ? -1 : 1;
  const offset = match[8] ? 0 : sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  const local = new Date(0);
  // setUTCFullYear, not Date.UTC: years 0-99 are years, not 1900-1999.
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, milliseconds);
  return local.getTime() - offset;
}

function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0);
  return date.getUTCDate();
}
