/** Date arithmetic as pure functions, so orchestrators derive every time from the replay-safe `currentUtcDateTime`. */
export function plusSeconds(at: Date, seconds: number): Date {
  return new Date(at.getTime() + seconds * 1000);
}
