import { Readable } from 'node:stream';
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
import type AsyncPersistence from 'aedes-persistence-level/asyncPersistence.js';
import { TopicAnswers } from './topic-answers.ts';

type ClientLike = { id: string; clean?: boolean };
type Sub = { clientId: string };
type Store = Record<string, (...args: unknown[]) => unknown>;

const DONE = Promise.resolve();

/**
 * LevelDB for what must survive a restart (subscriptions, retained messages, wills, and messages for
 * persistent sessions), memory for the in-flight QoS 1/2 state of clean-session clients, whose session
 * ends with the connection anyway. Writing that state to disk twice per message cut QoS 1 throughput to
 * less than half of aedes's (npm run bench broker).
 */
export class HybridPersistence {
  private readonly memory = new MemoryPersistence() as unknown as Store;
  private readonly level: Store;
  private broker: { clients: Record<string, ClientLike | undefined> } | null = null;
  private readonly subsByTopic = new TopicAnswers<Promise<Sub[]>>();

  /**
   * @param discardQueued drops the messages LevelDB holds for a client's session: aedes drops a
   *   session's queue through `outgoingStream`, which for a clean client is the memory store's
   */
  constructor(
    level: AsyncPersistence,
    private readonly discardQueued: (clientId: string) => Promise<void>,
  ) {
    this.level = level as unknown as Store;
    // everything not routed below is LevelDB's: retained messages, subscriptions, wills, client lists
    for (const name of [
      'storeRetained',
      'createRetainedStreamCombi',
      'createRetainedStream',
      'subscriptionsByClient',
      'countOffline',
      'putWill',
      'getWill',
      'delWill',
      'getClientList',
    ]) {
      (this as unknown as Store)[name] = (...args: unknown[]) => this.level[name]!(...args);
    }
  }

  /**
   * Judges the wills stored by an earlier run before aedes publishes them: one that fails (why, or
   * null) is deleted and reported instead. Stores written before wills were checked at CONNECT may
   * hold anything: a JPEG on a status topic, a forged local/ record.
   */
  willCheck: ((will: { clientId?: string; topic: string; payload: Buffer }) => string | null) | null = null;
  onWillRefused: ((will: { clientId?: string; topic: string }, problem: string) => void) | null = null;

  streamWill(brokers: unknown): Readable {
    const stored = this.level.streamWill!(brokers) as AsyncIterable<{
      clientId?: string;
      brokerId?: string;
      topic: string;
      payload: Buffer;
    }>;
    // an arrow cannot be a generator: the checks are read through one, as set when each will comes
    const level = this.level;
    const checks = () => ({ willCheck: this.willCheck, onWillRefused: this.onWillRefused });
    return Readable.from(
      (async function* () {
        for await (const will of stored) {
          const problem = checks().willCheck?.(will) ?? null;
          if (!problem) {
            yield will;
            continue;
          }
          await level.delWill!({ id: will.clientId, brokerId: will.brokerId });
          checks().onWillRefused?.(will, problem);
        }
      })(),
    );
  }

  async setup(broker: { clients: Record<string, ClientLike | undefined> }): Promise<void> {
    this.broker = broker;
    await this.memory.setup!(broker);
    await this.level.setup!(broker);
  }

  private storeFor(client: ClientLike): Store {
    return client.clean === true ? this.memory : this.level;
  }

  private isClean(clientId: string): boolean {
    return this.broker?.clients[clientId]?.clean === true;
  }

  /**
   * The persistent sessions subscribed to a topic, which aedes asks for every QoS 1/2 message to queue
   * it for them. The answer changes only when a persistent session subscribes or unsubscribes (clean
   * sessions are not stored), so it is kept until then (topic-answers.ts): the store's
   * trie splits the topic and makes a promise each time. The store updates its trie synchronously
   * when it is called, so clearing on the call keeps the answers right.
   */
  subscriptionsByTopic(topic: string): Promise<Sub[]> {
    return this.subsByTopic.get(topic, this.storedSubscriptionsByTopic);
  }

  private readonly storedSubscriptionsByTopic = (topic: string): Promise<Sub[]> => {
    const subs = this.level.subscriptionsByTopic!(topic) as Promise<Sub[]>;
    // a failed answer is not kept (aedes refuses the topics that make the store's trie throw)
    subs.catch(() => this.subsByTopic.forget(topic));
    return subs;
  };

  addSubscriptions(client: ClientLike, subs: unknown[]): unknown {
    this.subsByTopic.clear();
    return this.level.addSubscriptions!(client, subs);
  }

  removeSubscriptions(client: ClientLike, topics: string[]): unknown {
    this.subsByTopic.clear();
    return this.level.removeSubscriptions!(client, topics);
  }

  async cleanSubscriptions(client: ClientLike): Promise<void> {
    this.subsByTopic.clear();
    await Promise.all([this.level.cleanSubscriptions!(client), this.memory.cleanSubscriptions!(client)]);
  }

  /**
   * aedes calls this when a client connects with a clean session, once it has taken over any earlier
   * connection with that id: the previous session's inbound QoS 2 state and the messages queued for
   * it while it was away end here too [MQTT-3.1.2-6], in whichever store the session kept them.
   */
  async cleanIncoming(client: ClientLike): Promise<void> {
    await Promise.all([
      this.level.cleanIncoming!(client),
      this.memory.cleanIncoming!(client),
      this.discardQueued(client.id),
    ]);
  }

  async outgoingEnqueue(sub: Sub, packet: unknown): Promise<void> {
    await (this.isClean(sub.clientId) ? this.memory : this.level).outgoingEnqueue!(sub, packet);
  }

  outgoingEnqueueCombi(subs: Sub[], packet: unknown): Promise<void> {
    // asked for every QoS 1/2 message, mostly with nobody to queue for: no promises made for that
    return subs.length === 0 ? DONE : this.enqueueFor(subs, packet);
  }

  private async enqueueFor(subs: Sub[], packet: unknown): Promise<void> {
    const clean = subs.filter((s) => this.isClean(s.clientId));
    const kept = clean.length === 0 ? subs : subs.filter((s) => !this.isClean(s.clientId));
    await Promise.all([
      clean.length > 0 ? this.memory.outgoingEnqueueCombi!(clean, packet) : undefined,
      kept.length > 0 ? this.level.outgoingEnqueueCombi!(kept, packet) : undefined,
    ]);
  }

  outgoingUpdate(client: ClientLike, packet: unknown): unknown {
    return this.storeFor(client).outgoingUpdate!(client, packet);
  }

  outgoingClearMessageId(client: ClientLike, packet: unknown): unknown {
    return this.storeFor(client).outgoingClearMessageId!(client, packet);
  }

  outgoingStream(client: ClientLike): unknown {
    return this.storeFor(client).outgoingStream!(client);
  }

  incomingStorePacket(client: ClientLike, packet: unknown): unknown {
    return this.storeFor(client).incomingStorePacket!(client, packet);
  }

  incomingGetPacket(client: ClientLike, packet: unknown): unknown {
    return this.storeFor(client).incomingGetPacket!(client, packet);
  }

  incomingDelPacket(client: ClientLike, packet: unknown): unknown {
    return this.storeFor(client).incomingDelPacket!(client, packet);
  }

  async destroy(): Promise<void> {
    await this.memory.destroy!();
    await this.level.destroy!();
  }
}
