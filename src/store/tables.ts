/** Kysely table types. Times are epoch milliseconds (numbers on both dialects). */
export interface ChallengesTable {
  /** base64url SHA-256 of the challenge bytes: the value itself is never stored. */
  id: string;
  purpose: string;
  subject: string | null;
  issued_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface Tables {
  challenges: ChallengesTable;
}
