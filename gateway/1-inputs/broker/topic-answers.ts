/** Topics answered at most; past this the cache starts again (a flood of distinct topics costs what it did). */
const MAX_TOPICS = 1024;

/**
 * Answers about a topic that change only when subscriptions do (who matches it, who must have it
 * queued), kept until the owner says they changed. A site publishes on a few hundred topics.
 */
export class TopicAnswers<T> {
  private readonly answers = new Map<string, T>();

  /**
   * The kept answer for `topic`, or `compute`'s, then kept. Pass a function made once, not a new
   * closure per call: this is on every message's path.
   */
  get(topic: string, compute: (topic: string) => T): T {
    let answer = this.answers.get(topic);
    if (answer === undefined) {
      answer = compute(topic);
      if (this.answers.size >= MAX_TOPICS) this.answers.clear();
      this.answers.set(topic, answer);
    }
    return answer;
  }

  forget(topic: string): void {
    this.answers.delete(topic);
  }

  /** Subscriptions changed: every answer may be wrong now. */
  clear(): void {
    this.answers.clear();
  }
}
