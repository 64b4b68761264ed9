// RFC 3339 §5.6 timestamps, the one format of every time in releases, catalogs and proofs:
// date-time with a time zone, each field in its range (second 60 for a leap second).

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/

/** Whether `value` is an RFC 3339 date-time, with any offset. */
export function isRfc3339(value: string): boolean {
  const match = DATE_TIME.exec(value)
  if (!match) return false
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = match
    .slice(1)
    .map((part) => Number(part ?? 0))
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate()
  return (
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysInMonth &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 60 &&
    offsetHour! <= 23 &&
    offsetMinute! <= 59
  )
}

/** Whether `value` is an RFC 3339 date-time in UTC (`Z`), as DESIGN.md §4 writes them. */
export function isRfc3339Utc(value: string): boolean {
  return isRfc3339(value) && /[Zz]$/.test(value)
}
