// Dates an administrator types (`--at`, a snapshot's `evaluatedAt`).
// Q: why not just `new Date(text)`?  A: it reads "2027-01-01T00:00" as *local* time and accepts
//    "1/2/2027" as the 2nd of January or the 1st of February depending on nothing at all; a
//    decision about certificate expiry must not depend on the machine's time zone. So: a date
//    (midnight UTC) or a date-time with an explicit zone, nothing else.
// Q: "next month"?  A: `--at +30d` counts days from the snapshot's time (or now), which answers
//    "what happens when this certificate expires next month?" without looking at a calendar.

export type InstantParse =
  | { readonly ok: true; readonly date: Date }
  | { readonly ok: false; readonly problem: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/;
const RELATIVE = /^([+-])(\d{1,6})d$/;

const EXPECTED =
  'expected a date such as "2027-01-15" (midnight UTC), "2027-01-15T09:30:00Z" or "2027-01-15T09:30:00+01:00"';

/** An absolute date: YYYY-MM-DD (UTC) or an ISO 8601 date-time with Z or an offset. */
export function parseInstant(text: string): InstantParse {
  const value = text.trim();
  const date = DATE.exec(value);
  const dateTime = date === null ? DATE_TIME.exec(value) : null;
  if (date === null && dateTime === null) {
    return { ok: false, problem: `${JSON.stringify(text)}: ${EXPECTED}` };
  }
  const [year, month, day] = ((date ?? dateTime) as RegExpExecArray).slice(1, 4).map(Number) as [
    number,
    number,
    number,
  ];
  // Reject 2027-02-30 instead of letting Date roll it over to March.
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (
    calendar.getUTCFullYear() !== year ||
    calendar.getUTCMonth() !== month - 1 ||
    calendar.getUTCDate() !== day
  ) {
    return { ok: false, problem: `${JSON.stringify(text)}: no such day` };
  }
  if (date !== null) return { ok: true, date: calendar };
  const normalized = value.replace(" ", "T").replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  const parsed = new Date(normalized);
  if (Number.isNaN(parsed.getTime())) {
    return { ok: false, problem: `${JSON.stringify(text)}: no such time` };
  }
  return { ok: true, date: parsed };
}

/** `--at`: an absolute date, or `+Nd` / `-Nd` days from `base`. */
export function parseAt(text: string, base: Date): InstantParse {
  const relative = RELATIVE.exec(text.trim());
  if (relative !== null) {
    const days = Number(relative[2]) * (relative[1] === "-" ? -1 : 1);
    return { ok: true, date: new Date(base.getTime() + days * 86_400_000) };
  }
  const absolute = parseInstant(text);
  if (absolute.ok) return absolute;
  return { ok: false, problem: `${absolute.problem}, or "+30d" (days from the snapshot's time)` };
}
