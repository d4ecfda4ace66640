/** One Dockerfile instruction after joining continuation lines. */
export interface Instruction {
  /** Upper-case keyword, e.g. `RUN`. */
  readonly keyword: string;
  /** Everything after the keyword, continuations joined with a space. */
  readonly args: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

/** Instructions from one `FROM` up to the next. */
export interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly flags: readonly string[];
  readonly instructions: readonly Instruction[];
}

/** A parsed Dockerfile: global `ARG`s before the first `FROM`, then the stages in order. */
export interface Dockerfile {
  readonly globals: readonly Instruction[];
  readonly stages: readonly Stage[];
}

/**
 * Parses the subset of Dockerfile syntax this project uses: comments, parser directives,
 * backslash continuations (comment lines inside a continuation are dropped, as BuildKit does),
 * and `FROM [--flag] image [AS name]`. No heredocs, no escape-directive changes.
 */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: { parts: string[]; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === undefined)) return;
    const continues = trimmed.endsWith('\\');
    const body = continues ? trimmed.slice(0, -1).trim() : trimmed;
    pending ??= { parts: [], line: index + 1 };
    if (body !== '') pending.parts.push(body);
    if (continues) return;
    const joined = pending.parts.join(' ');
    const space = joined.search(/\s/);
    instructions.push({
      keyword: (space === -1 ? joined : joined.slice(0, space)).toUpperCase(),
      args: space === -1 ? '' : joined.slice(space + 1).trim(),
      line: pending.line,
    });
    pending = undefined;
  });
  const globals: Instruction[] = [];
  const stages: { image: string; name: string | undefined; flags: string[]; instructions: Instruction[] }[] =
    [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const rest = words.filter((w) => !w.startsWith('--'));
      const as = rest.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({
        image: rest[0] ?? '',
        name: as === -1 ? undefined : rest[as + 1],
        flags,
        instructions: [],
      });
    } else {
      const current = stages.at(-1);
      (current === undefined ? globals : current.instructions).push(instruction);
    }
  }
  return { globals, stages };
}

/** The instructions of `stage` with `keyword`. */
export function instructionsOf(stage: Stage, keyword: string): readonly Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** Reads exec (JSON array) form; undefined for shell form. */
export function execForm(args: string): readonly string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? parsed : undefined;
}
