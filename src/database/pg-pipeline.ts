/**
 * Several statements in one round trip on a pg client. The pg driver sends a statement only once
 * the previous one has answered; PostgreSQL's extended protocol lets a client send the messages of
 * several statements and one Sync. The server runs them in order and, after an error, skips the
 * rest up to the Sync, so a statement after a failed one (a COMMIT, say) never runs.
 */

interface PgMessageWriter {
  parse(config: { text: string; name: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: unknown[]; binary: boolean }): void;
  describe(config: { type: 'P'; name: string }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
  parsedStatements: Record<string, string | undefined>;
}

interface PgResult {
  rows: unknown[];
  rowCount: number | null;
}

type QueryBase = new (config: {
  text: string;
  queryMode: 'extended';
  callback: PipelineCallback;
}) => object;
type PipelineCallback = (error: Error | null, results?: PgResult | PgResult[]) => void;

// The driver's own statement class, so the client hands this one its messages as to any statement
// (results, errors, the final ReadyForQuery); pinned with MikroORM's pg version in package.json.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Query = require('pg/lib/query') as QueryBase;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepareValue } = require('pg/lib/utils') as {
  prepareValue: (value: unknown) => unknown;
};

/** A statement of a pipeline: a named one must already be prepared on the connection. */
export interface PipelineStep {
  name?: string;
  text: string;
  values: readonly unknown[];
}

export interface PipelineClient {
  connection: PgMessageWriter;
  query(submittable: object): unknown;
}

/** True if the client has prepared `name` (the pg driver keeps track of the statements it parsed). */
export function isPrepared(client: PipelineClient, name: string): boolean {
  return client.connection.parsedStatements[name] !== undefined;
}

/** Runs `steps` in one round trip; one result per step, or the error of the first that failed. */
export function pipelined(
  client: PipelineClient,
  steps: readonly PipelineStep[],
): Promise<PgResult[]> {
  return new Promise((resolve, reject) => {
    // Mapped before anything is written: a value that cannot be sent fails the whole pipeline.
    const values = steps.map((step) => step.values.map((value) => prepareValue(value)));
    const callback: PipelineCallback = (error, results) => {
      if (error) reject(error);
      else resolve(Array.isArray(results) ? results : results ? [results] : []);
    };
    client.query(new Pipeline(steps, values, callback));
  });
}

class Pipeline extends Query {
  constructor(
    private readonly steps: readonly PipelineStep[],
    private readonly mapped: unknown[][],
    callback: PipelineCallback,
  ) {
    super({ text: steps.map((step) => step.text).join(';\n'), queryMode: 'extended', callback });
  }

  /** Called by the driver (corked, so the messages leave in one write). */
  prepare(connection: PgMessageWriter): void {
    this.steps.forEach((step, n) => {
      const statement = step.name ?? '';
      if (!step.name) connection.parse({ text: step.text, name: '', types: [] });
      connection.bind({ portal: '', statement, values: this.mapped[n]!, binary: false });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ portal: '', rows: 0 });
    });
    connection.sync();
  }
}
