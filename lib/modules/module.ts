// The module contract, after pyinfra's operations: a module probes the host's current state
// (read-only commands, which run in check mode too), plans from that state without touching the
// host (a pure function, so it is unit-tested as "state in -> actions out"), and only then applies
// the planned actions. "Changed" means the plan has actions; check mode and diffs fall out of it.
import type { Command } from '../command/command.js';
import type { Connection, PutOptions, RunOptions, RunResult } from '../connection/connection.js';
import type { Facts } from '../facts/facts.js';

/** One thing a module does to a host. Data, so plans can be compared in tests. */
export type Action =
  | {
      kind: 'run';
      command: Command;
      /** stdin for the command (secrets travel here, never in argv). */
      stdin?: string;
      /** Exit codes counted as success (default [0]). */
      okCodes?: number[];
    }
  | {
      kind: 'put';
      path: string;
      content: string | Buffer;
      mode?: string;
      owner?: string;
      group?: string;
    };

export interface FileDiff {
  path: string;
  /** undefined = the file does not exist. */
  before?: string;
  after?: string;
}

export interface Plan<D = Record<string, unknown>> {
  /** Empty: the host is already in the wanted state (ok). */
  actions: Action[];
  /** Content changes shown with --diff. */
  diffs?: FileDiff[];
  /** One line saying what changes (or would change), e.g. "install kubeadm=1.31.2-1.1". */
  summary?: string;
  /** Values handed back to the role (e.g. { rebootNeeded: true }). */
  data?: D;
  /**
   * Whether running the actions counts as a change (default: there are actions). False for actions
   * that only observe, like waiting for a port: the step is ok even when they run.
   */
  changes?: boolean;
}

/** What a module sees of the host while probing and applying. */
export interface ModuleContext {
  host: string;
  facts: Facts;
  check: boolean;
  connection: Connection;
  /** Runs a command as the step's user (become applied); never rejects for a non-zero exit. */
  run(command: Command, options?: RunOptions): Promise<RunResult>;
  /** Debug output (-vvv). */
  log(message: string): void;
  /** Writes a file as the step's user (become applied); when absent, connection.put is used. */
  put?(path: string, content: string | Buffer, options?: PutOptions): Promise<void>;
  /** Reads a whole file, or `range` of it, as the step's user (become applied); undefined when it does not exist. */
  get?(path: string, range?: { offset: number; length: number }): Promise<Buffer | undefined>;
}

export interface Module<A, S, D = Record<string, unknown>> {
  name: string;
  /** The arguments it accepts, as a JSON Schema checked by ajv before probing (see args.ts). */
  args: ArgsSchema<A>;
  /** Checks across arguments (e.g. "one of port, path, command"); throws ModuleError. */
  validate?(args: A): void;
  /** Reads the current state. Read-only: it runs in check mode too. */
  probe(args: A, ctx: ModuleContext): Promise<S>;
  /** Pure: from args and state to the actions needed. */
  plan(args: A, state: S, facts: Facts): Plan<D>;
  /**
   * Optional: apply the plan differently from the default (run each action in order, failing on the
   * first that fails). Used by modules whose outcome depends on what a command prints (command, wait).
   */
  apply?(plan: Plan<D>, args: A, ctx: ModuleContext): Promise<ModuleResult<D>>;
}

export interface ModuleResult<D = Record<string, unknown>> {
  changed: boolean;
  /** Check mode: the actions that would run, not run. */
  checkOnly?: boolean;
  summary?: string;
  diffs?: FileDiff[];
  data?: D;
  /** For command-like modules: what the command printed. */
  stdout?: string;
  stderr?: string;
  code?: number;
}

/** A JSON Schema (draft-07, as ajv reads it, with ajv-keywords' `instanceof` and ajv-errors' `errorMessage`). */
export type JsonSchema = { readonly [keyword: string]: unknown };

/**
 * The JSON Schema of a module's arguments, tied to their TypeScript interface A by the compiler, so
 * the two cannot drift: one property per key of A, no more (write each out: a spread escapes
 * TypeScript's excess-property check) and no fewer; `required` exactly A's required keys, in any
 * order; each property's schema says the type A gives it (see SchemaOf).
 */
export type ArgsSchema<A> = 0 extends 1 & A ? AnyArgsSchema : ArgsSchemaOf<A>;

interface AnyArgsSchema {
  type: 'object';
  properties: Record<string, JsonSchema>;
  required: readonly string[];
  additionalProperties: false;
}

type ArgsSchemaOf<A> = {
  type: 'object';
  properties: { [K in keyof A]-?: SchemaOf<Exclude<A[K], undefined>> };
  required: Readonly<Permutation<RequiredKeys<A>>>;
  additionalProperties: false;
};

/**
 * What the schema of an argument of type T must say: `type: 'string'`, 'number' or 'integer',
 * 'boolean'; a union of string literals is its `enum` (every member, in any order); lists of those
 * are `type: 'array'` with such `items`. Other types (Buffer, Command, functions, unions of them)
 * take any schema: `instanceof`, `anyOf`.
 */
export type SchemaOf<T> = 0 extends 1 & T
  ? JsonSchema
  : [T] extends [boolean]
    ? JsonSchema & { type: 'boolean' }
    : [T] extends [number]
      ? JsonSchema & { type: 'number' | 'integer' }
      : [T] extends [string]
        ? string extends T
          ? JsonSchema & { type: 'string' }
          : JsonSchema & { enum: Readonly<Permutation<T>> }
        : [T] extends [readonly string[]]
          ? JsonSchema & { type: 'array'; items: SchemaOf<string> }
          : [T] extends [readonly number[]]
            ? JsonSchema & { type: 'array'; items: SchemaOf<number> }
            : JsonSchema;

type RequiredKeys<A> = { [K in keyof A]-?: {} extends Pick<A, K> ? never : K }[keyof A];

/** Every order of the members of U, as tuples: ['a', 'b'] | ['b', 'a']. */
type Permutation<U, T = U> = [U] extends [never] ? [] : T extends unknown ? [T, ...Permutation<Exclude<U, T>>] : never;

/** A failed module: the message is what the user sees (masked), e.g. the command's stderr. */
export { ModuleError } from '../errors.js';
