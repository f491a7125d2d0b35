import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Settings } from '../../config/settings';
import { redact } from '../../config/settings';
import { SETTINGS } from '../common/tokens';

export interface OutgoingMail {
  messageId: string;
  to: { name: string; email: string }[];
  subject: string;
  text: string;
  html: string;
  ics: string | null;
}

/** A failure worth retrying (connection, timeout, 4xx) or not (5xx), with the server's reply kept. */
export class MailFailure extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/**
 * The one adapter for sending mail: SMTP through nodemailer (pooled) when SMTP_URL is set,
 * otherwise each message is written as an .eml file under the data folder and logged.
 */
@Injectable()
export class MailTransport implements OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private readonly smtp: Transporter | undefined;
  private readonly emlDir: string;
  readonly kind: 'smtp' | 'eml';

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    this.emlDir = join(settings.dataDir, 'mail');
    this.kind = settings.smtpUrl ? 'smtp' : 'eml';
    if (settings.smtpUrl) {
      // The URL goes inside the options object: nodemailer reads a second argument as defaults
      // for every message, not as transport options, so pooling and timeouts would be ignored.
      this.smtp = nodemailer.createTransport({
        url: settings.smtpUrl,
        pool: true,
        maxConnections: 3,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 60_000,
      });
    }
  }

  describe(): { kind: 'smtp' | 'eml'; target: string } {
    return this.kind === 'smtp'
      ? { kind: 'smtp', target: redact(this.settings.smtpUrl!) }
      : { kind: 'eml', target: this.emlDir };
  }

  /** Checks the SMTP server answers; the .eml writer is always ready. */
  async verify(): Promise<boolean> {
    if (!this.smtp) return true;
    try {
      await this.smtp.verify();
      return true;
    } catch {
      return false;
    }
  }

  async send(mail: OutgoingMail): Promise<void> {
    const message = {
      from: this.settings.mailFrom,
      to: mail.to.map((r) => ({ name: r.name, address: r.email })),
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: mail.messageId,
      attachments: mail.ics
        ? [
            {
              filename: 'frist.ics',
              content: mail.ics,
              contentType: 'text/calendar; charset=utf-8; method=PUBLISH',
            },
          ]
        : [],
    };
    if (this.smtp) {
      try {
        await this.smtp.sendMail(message);
      } catch (error) {
        throw classify(error);
      }
      return;
    }
    const built = await nodemailer
      .createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
      .sendMail(message);
    await mkdir(this.emlDir, { recursive: true });
    const file = join(this.emlDir, `${mail.messageId.replace(/[^A-Za-z0-9.-]/g, '_')}.eml`);
    await writeFile(file, built.message as Buffer);
    this.logger.log(
      `Mail «${mail.subject}» to ${mail.to.map((r) => r.email).join(', ')} written to ${file}`,
    );
  }

  onApplicationShutdown(): void {
    this.smtp?.close();
  }
}

function classify(error: unknown): MailFailure {
  const e = error as { responseCode?: number; response?: string; code?: string; message?: string };
  const reply = e.response ?? e.message ?? String(error);
  if (typeof e.responseCode === 'number') {
    return new MailFailure(`${e.responseCode} ${reply}`, e.responseCode >= 500);
  }
  return new MailFailure(`${e.code ?? 'ERROR'} ${reply}`, false);
}
