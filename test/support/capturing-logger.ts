import { LoggerService } from '@nestjs/common';

export interface CapturedLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  text: string;
}

/** A Nest logger that keeps every line, so tests can read what an app would have printed. */
export class CapturingLogger implements LoggerService {
  readonly lines: CapturedLine[] = [];

  log(...parts: unknown[]): void {
    this.capture('log', parts);
  }
  error(...parts: unknown[]): void {
    this.capture('error', parts);
  }
  warn(...parts: unknown[]): void {
    this.capture('warn', parts);
  }
  debug(...parts: unknown[]): void {
    this.capture('debug', parts);
  }
  verbose(...parts: unknown[]): void {
    this.capture('verbose', parts);
  }
  fatal(...parts: unknown[]): void {
    this.capture('fatal', parts);
  }

  /** Every captured line at `level` (all levels when omitted), as text. */
  texts(level?: CapturedLine['level']): string[] {
    return this.lines.filter((line) => !level || line.level === level).map((line) => line.text);
  }

  private capture(level: CapturedLine['level'], parts: unknown[]): void {
    const text = parts
      .map((part) =>
        part instanceof Error
          ? `${part.message}\n${part.stack}`
          : typeof part === 'string'
            ? part
            : JSON.stringify(part),
      )
      .join(' ');
    this.lines.push({ level, text });
  }
}
