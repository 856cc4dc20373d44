import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.js';

/** A file a command was given; a UsageError (exit 2) naming it, and `what` it is, when it cannot be read. */
export function readInputFile(file: string, what?: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read ${what ? `${what} ` : ''}${file}: ${(error as Error).message}`);
  }
}

export const readInputText = (file: string, what?: string): string => readInputFile(file, what).toString('utf8');

/** JSON a command was given in `file`; a UsageError (exit 2) naming the file when it does not parse. */
export function parseInputJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

export const readInputJson = (file: string, what?: string): unknown => parseInputJson(readInputText(file, what), file);
