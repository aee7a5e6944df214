// Bad input to the command (exit 2): every problem found, each naming the JSON path or file at
// fault. Collected rather than thrown one at a time, so an administrator fixes a hand-edited
// snapshot in one pass instead of one error per run.

export class InputError extends Error {
  constructor(
    /** "store[2].rawData: not base64", "--at: …", "snapshot.json: not JSON: …". */
    readonly problems: readonly string[],
    /** The file the problems are in, when there is one. */
    readonly file?: string,
  ) {
    super(problems.join("; "));
    this.name = new.target.name;
  }
}

/** Collects problems under JSON paths. */
export class Problems {
  readonly #list: string[] = [];

  /** Records `path: message` and returns undefined, so checks can `return problems.add(…)`. */
  add(path: string, message: string): undefined {
    this.#list.push(path === "" ? message : `${path}: ${message}`);
    return undefined;
  }

  get count(): number {
    return this.#list.length;
  }

  get list(): readonly string[] {
    return [...this.#list];
  }

  /** Throws an InputError when anything was recorded. */
  throwIfAny(file?: string): void {
    if (this.#list.length > 0) throw new InputError(this.list, file);
  }
}

/** `a.b`, or `b` at the root. */
export function child(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

export function item(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** "a string", "an array", "null", … for messages. */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return value ? "true" : "false";
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}

/** A short reason for a failed file operation, without the stack or the errno noise. */
export function fileProblem(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "is a directory, not a file";
  if (code === "ENOTDIR") return "not a directory";
  return error instanceof Error ? error.message : String(error);
}
