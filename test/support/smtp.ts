import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  raw: string;
  parsed: ParsedMail;
  messageId: string | undefined;
  to: string[];
}

export interface TestSmtp {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** Answers the next DATA commands with these reply codes (e.g. [451]); then accepts. */
  failNext(...codes: number[]): void;
  /** Always answer DATA with this code (e.g. 550) until cleared with `undefined`. */
  failAlways(code: number | undefined): void;
  /** Delay before accepting each message, in ms. */
  delayMs: number;
  close(): Promise<void>;
  /** Waits until at least `count` mails have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
}

/** A real SMTP server in this process (smtp-server), reading what arrives with mailparser. */
export async function startSmtp(port = 0): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const queue: number[] = [];
  let always: number | undefined;
  const state = { delayMs: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const code = queue.shift() ?? always;
        const finish = () => {
          if (code !== undefined) {
            const error = new Error(
              code >= 500 ? 'Mailbox unavailable' : 'Try again later',
            ) as Error & {
              responseCode: number;
            };
            error.responseCode = code;
            callback(error);
            return;
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw)
            .then((parsed) => {
              received.push({
                raw,
                parsed,
                messageId: parsed.messageId,
                to: session.envelope.rcptTo.map((r) => r.address),
              });
              callback();
            })
            .catch((error: Error) => callback(error));
        };
        if (state.delayMs > 0) setTimeout(finish, state.delayMs);
        else finish();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actualPort = (server.server.address() as AddressInfo).port;
  return {
    port: actualPort,
    url: `smtp://127.0.0.1:${actualPort}`,
    received,
    failNext: (...codes) => queue.push(...codes),
    failAlways: (code) => {
      always = code;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    waitFor: async (count, timeoutMs = 10_000) => {
      const start = Date.now();
      while (received.length < count) {
        if (Date.now() - start > timeoutMs)
          throw new Error(`Only ${received.length} of ${count} mails arrived`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return received;
    },
  };
}
