import { TopicAnswers } from '../topic-answers.ts';

/** The part of qlobber's matcher that mqemitter uses. */
export interface TopicMatcher {
  add(topic: string, handler: unknown): unknown;
  remove(topic: string, handler?: unknown): unknown;
  match(topic: string, ...rest: unknown[]): unknown[];
}

/**
 * Remembers which handlers a topic matched until the subscriptions change. mqemitter asks qlobber
 * for every message, and qlobber splits the topic and walks its tree each time, for an answer that
 * changes only when someone subscribes or unsubscribes (docs/performance.md, "Figures behind code
 * choices").
 */
export function cacheMatches(matcher: TopicMatcher): void {
  const cache = new TopicAnswers<unknown[]>();
  const add = matcher.add.bind(matcher);
  const remove = matcher.remove.bind(matcher);
  const match = matcher.match.bind(matcher);
  matcher.add = (topic, handler) => {
    cache.clear();
    return add(topic, handler);
  };
  matcher.remove = (...args: [string, unknown?]) => {
    cache.clear();
    return remove(...args);
  };
  matcher.match = (topic, ...rest) => {
    if (rest.length > 0) return match(topic, ...rest);
    return cache.get(topic, match);
  };
}
