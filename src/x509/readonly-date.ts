// Dates in a Selection are read-only. The prepared selector hands the same frozen decision to
// session after session, and Object.freeze cannot protect a Date's internal time value, so a
// caller who "rounds" a date in one result would change what every later session reports. A
// Date whose setters throw keeps `instanceof Date`, every getter and JSON, and shares nothing
// that can change.

const SETTERS = [
  "setTime",
  "setMilliseconds",
  "setUTCMilliseconds",
  "setSeconds",
  "setUTCSeconds",
  "setMinutes",
  "setUTCMinutes",
  "setHours",
  "setUTCHours",
  "setDate",
  "setUTCDate",
  "setMonth",
  "setUTCMonth",
  "setFullYear",
  "setUTCFullYear",
  "setYear",
] as const;

class ReadonlyDate extends Date {}
for (const name of SETTERS) {
  Object.defineProperty(ReadonlyDate.prototype, name, {
    value() {
      throw new TypeError(`dates in a selection are read-only (${name})`);
    },
  });
}

/** A read-only Date for results: its setters throw a TypeError. */
export function readonlyDate(time: Date | number): Date {
  return Object.freeze(new ReadonlyDate(typeof time === "number" ? time : time.getTime()));
}
