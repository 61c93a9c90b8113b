/**
 * One direction of one connection of a NATS proxy: bytes are framed by {@link NatsParser}
 * (never rewritten), counted in the per-subject records, decided on by the proxy's NATS toxics,
 * and forwarded byte for byte, or dropped, copied, held (delay) or held and shuffled (reorder).
 *
 * With no NATS toxic on the proxy a chunk takes the fast path: the bytes of its complete frames
 * are written in one piece, and the only per-message work is framing and counting. With toxics,
 * runs of untouched frames are still written as one slice; only faulted messages are handled one
 * by one. Control lines (PING, SUB, INFO, …) and JetStream status messages (heartbeats, flow
 * control) are never faulted or held. If the server's INFO requires TLS, both directions become
 * opaque pass-through (the proxy cannot read TLS).
 */
import type { DecisionValue } from '../http/decision.js';
import type { LinkSink } from '../link.js';
import type { Rng } from '../rng.js';
import { messageIdentity, type NatsIdentity } from './identity.js';
import type { NatsMessageFacts } from './match.js';
import type { NatsAction } from './message-toxic.js';
import { headerOf, messageHeaders, messagePayload, NatsParser, type NatsDirection, type NatsHeaders, type NatsMessageFrame } from './parser.js';
import type { SubjectRecord } from './records.js';
import type { ActiveNatsToxic, NatsProxyState } from './state.js';
import { ackKind, parseJetStreamAck, type AckKind, type JetStreamAck } from './subject.js';

/** Where a flow writes: the client socket, or the toxic link in front of the server. */
export interface FlowOutput {
  /** Returns false when the flow should wait for {@link FlowOutput.onDrain}. */
  write(chunk: Buffer): boolean;
  /** FIN after everything written. */
  end(): void;
  /** Calls `listener` once when writing may continue. */
  onDrain(listener: () => void): void;
  /** True once nothing more can be written. */
  readonly closed: boolean;
}

/** What the two flows of one connection share. */
export interface FlowContext {
  readonly state: NatsProxyState;
  /** Proxy-wide connection number. */
  readonly connectionId: number;
  /** The next message number on this connection (both directions share the count). */
  nextMessage(): number;
  /** The server required TLS: both flows go opaque. */
  goOpaque(reason: string): void;
  /** A bug in this layer: reset the connection instead of crashing the proxy. */
  fail(err: unknown): void;
}

/** A message as the proxy reads it, with what matching and journaling need. */
interface Message {
  readonly frame: NatsMessageFrame;
  readonly requestId: string;
  /** JetStream ack it is (publish) or carries as reply-to (deliver). */
  readonly ack: JetStreamAck | null;
  /** For an ack: its kind. */
  readonly ackKind: AckKind | null;
  /** Its record, and for an ack the record of the message it acknowledges. */
  readonly record: SubjectRecord;
  /** Subject `drop_ack` matches: the acknowledged message's, when known. */
  readonly ackedSubject: string;
  /** Its identity (identity.ts) and attempt: how many messages with it the proxy carried before. */
  readonly identity: NatsIdentity;
  readonly attempt: number;
  headers(): NatsHeaders;
}

/** One unit of output held by a fault: the frame and its extra copies. */
interface Unit {
  readonly raw: Buffer;
  readonly copies: number;
}

interface Window {
  readonly units: Unit[];
  readonly rng: Rng;
  readonly limit: number;
  timer: NodeJS.Timeout | null;
}

interface Plan {
  dropped: 'drop' | 'ack' | null;
  copies: number;
  delayMs: number;
  reorder: { toxic: string; window: number; windowMs: number; rng: Rng } | null;
}

// Bytes held by delay/reorder before the source is paused.
const HELD_HIGH_WATER = 16 * 1024 * 1024;

/** One direction of one NATS connection; a {@link LinkSink} so a link or a socket can feed it. */
export class NatsFlow implements LinkSink {
  private readonly parser: NatsParser;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly windows = new Map<string, Window>();
  private heldUnits = 0;
  private heldBytes = 0;
  private blocked = false;
  private drainListener: (() => void) | null = null;
  private ending = false;
  private tail: Buffer | null = null;
  private ended = false;
  private disposed = false;

  constructor(
    readonly direction: NatsDirection,
    private readonly ctx: FlowContext,
    private readonly out: FlowOutput,
  ) {
    this.parser = new NatsParser(direction);
  }

  /** Bytes in; returns false when the source should wait for `'drain'`. */
  write(chunk: Buffer): boolean {
    if (this.disposed || this.ending) return true;
    try {
      this.process(chunk);
    } catch (err) {
      this.ctx.fail(err);
      return true;
    }
    return !this.blocked && this.heldBytes <= HELD_HIGH_WATER;
  }

  /** The source ended: release reorder windows now, wait for delays, then end the output. */
  end(): void {
    if (this.disposed || this.ending) return;
    this.ending = true;
    // An incomplete last frame goes out last, after everything held (the peer sees it cut, as it was).
    this.tail = this.parser.goOpaque('input ended');
    for (const name of [...this.windows.keys()]) this.releaseWindow(name);
    this.maybeEnd();
  }

  once(_event: 'drain', listener: () => void): this {
    this.drainListener = listener;
    this.maybeDrain();
    return this;
  }

  /** Stops parsing: everything from now on, and what is held, is forwarded untouched. */
  goOpaque(reason: string): void {
    const rest = this.parser.goOpaque(reason);
    if (rest.length > 0) this.emit(rest);
  }

  /** The connection is gone: cancel timers, drop what is held. */
  dispose(): void {
    this.disposed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.windows.values()) if (w.timer) clearTimeout(w.timer);
    this.windows.clear();
  }

  private process(chunk: Buffer): void {
    const { frames, bytes, opaque } = this.parser.push(chunk);
    const active = frames.length > 0 ? this.ctx.state.active() : [];
    let runStart = 0;
    let offset = 0;
    let tls = false;
    for (const frame of frames) {
      const length = frame.raw.length;
      if (frame.kind === 'control') {
        // What follows an INFO that requires TLS is the handshake's, not NATS: pass it all untouched.
        if (frame.op === 'INFO' && /"tls_required"\s*:\s*true/.test(frame.args)) {
          tls = true;
          break;
        }
      } else {
        const message = this.read(frame);
        if (message && active.length > 0) {
          const plan = this.decide(message, active);
          if (plan) {
            if (offset > runStart) this.emit(bytes.subarray(runStart, offset));
            this.apply(message, plan);
            runStart = offset + length;
          }
        }
      }
      offset += length;
    }
    if (tls) this.emit(bytes.subarray(runStart));
    else if (offset > runStart) this.emit(bytes.subarray(runStart, offset));
    if (opaque && opaque.length > 0) this.emit(opaque);
    if (tls) this.ctx.goOpaque('the server requires TLS');
  }

  /** Counts a message in the records; null for a status message (heartbeat, flow control), which is not a message. */
  private read(frame: NatsMessageFrame): Message | null {
    const { state } = this.ctx;
    if (frame.headerBytes > 0 && this.direction === 'deliver' && isStatus(frame)) return null;
    let parsed: NatsHeaders | null = null;
    const headers = () => (parsed ??= messageHeaders(frame));
    const requestId = `${this.ctx.connectionId}.${this.ctx.nextMessage()}`;
    let ack: JetStreamAck | null;
    let kind: AckKind | null = null;
    let record: SubjectRecord;
    let ackedSubject = frame.subject;
    if (this.direction === 'publish') {
      ack = parseJetStreamAck(frame.subject);
      if (ack) {
        kind = ackKind(messagePayload(frame));
        const acked = state.ackedSubject(frame.subject, kind === 'ack' || kind === 'term' || kind === 'next');
        if (acked !== undefined) ackedSubject = acked;
        record = state.records.of(acked ?? `$JS.ACK.${ack.stream}.${ack.consumer}`);
        if (kind === 'nak') record.naks++;
        else if (kind === 'term') record.terms++;
        else if (kind !== 'wpi') record.acks++;
      } else {
        record = state.records.of(frame.subject);
        record.published++;
        state.published.add(frame.subject, frame.headerBytes > 0 ? frame.raw.subarray(frame.bodyOffset, frame.bodyOffset + frame.headerBytes) : null, messagePayload(frame));
      }
    } else {
      record = state.records.of(frame.subject);
      record.delivered++;
      ack = parseJetStreamAck(frame.reply);
      if (ack) {
        state.rememberAck(frame.reply!, frame.subject);
        if (ack.delivered > 1) record.redeliveries++;
        record.pending = ack.pending;
        record.maxPending = Math.max(record.maxPending ?? 0, ack.pending);
      }
    }
    // Identities are read on every message (headers only when there are some), so attempts do
    // not depend on when faults were present.
    const h = frame.headerBytes > 0 ? headers() : null;
    const identity = messageIdentity(this.direction, frame.subject, ack, h ? headerOf(h, 'Nats-Msg-Id') : undefined, h ? headerOf(h, 'traceparent') : undefined);
    const attempt = identity.attempt ?? (identity.key !== null ? state.nextAttempt(identity.key) : 0);
    return { frame, requestId, ack, ackKind: kind, record, ackedSubject, identity, attempt, headers };
  }

  /**
   * Runs every toxic's decision on `message`; null when none fired. Only messages that pass a
   * toxic's filters are decided and journaled (fired or not): a broker carries far more messages
   * than an HTTP edge carries requests, and "no-match" lines would crowd the decisions out of
   * the bounded journal. The per-subject records count every message.
   */
  private decide(message: Message, active: readonly ActiveNatsToxic[]): Plan | null {
    const { frame } = message;
    const { identity } = message;
    const facts = (subject: string): NatsMessageFacts => ({
      direction: this.direction,
      subject,
      header: (name) => headerOf(message.headers(), name),
      stream: message.ack?.stream ?? null,
      consumer: message.ack?.consumer ?? null,
    });
    let own: NatsMessageFacts | null = null;
    let plan: Plan | null = null;
    let preemptedBy: string | null = null;
    for (const t of active) {
      const { compiled, toxic } = t;
      const forAcks = compiled.candidates !== 'messages';
      if (forAcks && (this.direction !== 'publish' || message.ackKind === null || !(compiled.candidates as ReadonlySet<AckKind>).has(message.ackKind))) continue;
      if (!compiled.match(forAcks ? facts(message.ackedSubject) : (own ??= facts(frame.subject)))) continue;
      const d = t.decider.decide(identity.key, message.attempt, true, compiled.decision, toxic.toxicity);
      if (!d.fired) {
        this.journal(message, t, identity, d, false, d.reason ?? 'no-match', null);
        continue;
      }
      if (preemptedBy !== null) {
        this.journal(message, t, identity, d, false, `preempted:${preemptedBy}`, null);
        continue;
      }
      plan ??= { dropped: null, copies: 0, delayMs: 0, reorder: null };
      const action = withReplayValue(compiled.action(d.random), d.value);
      switch (action.kind) {
        case 'drop':
          plan.dropped = forAcks ? 'ack' : 'drop';
          preemptedBy = toxic.name;
          this.journal(message, t, identity, d, true, forAcks ? `drop_ack:${message.ackKind}` : 'drop', null);
          break;
        case 'duplicate':
          plan.copies += action.copies;
          this.journal(message, t, identity, d, true, `duplicate:${action.copies}`, { copies: action.copies });
          break;
        case 'delay': {
          const ms = Math.round(action.ms * 1000) / 1000;
          plan.delayMs += ms;
          this.journal(message, t, identity, d, true, `delay:${Math.round(ms)}ms`, { delayMs: ms });
          break;
        }
        case 'reorder':
          if (plan.reorder) {
            this.journal(message, t, identity, d, false, `preempted:${plan.reorder.toxic}`, null);
            break;
          }
          plan.reorder = { toxic: toxic.name, window: action.window, windowMs: action.windowMs, rng: d.random };
          this.journal(message, t, identity, d, true, `reorder:${action.window}`, null);
          break;
      }
    }
    return plan;
  }

  private journal(
    message: Message,
    t: ActiveNatsToxic,
    identity: NatsIdentity,
    d: { ordinal: number; attempt: number },
    fired: boolean,
    outcome: string,
    value: { delayMs?: number; copies?: number } | null,
  ): void {
    const { frame } = message;
    this.ctx.state.journal.append({
      time: new Date().toISOString(),
      proxy: this.ctx.state.name,
      toxic: t.toxic.name,
      type: t.toxic.type,
      requestId: message.requestId,
      method: frame.op,
      path: frame.subject,
      jsonrpcMethod: null,
      traceparent: headerOf(message.headers(), 'traceparent') ?? null,
      identity: identity.key,
      traceId: identity.traceId,
      idempotencyKey: null,
      attempt: d.attempt,
      ordinal: d.ordinal,
      fired,
      value,
      outcome,
      direction: this.direction,
      subject: frame.subject,
    });
  }

  private apply(message: Message, plan: Plan): void {
    const { record, frame } = message;
    if (plan.dropped === 'ack') {
      record.acksDropped++;
      return;
    }
    if (plan.dropped === 'drop') {
      record.dropped++;
      return;
    }
    record.duplicated += plan.copies;
    const unit: Unit = { raw: frame.raw, copies: plan.copies };
    const next = plan.reorder ? () => this.toWindow(unit, plan.reorder!) : () => this.release(unit);
    if (plan.reorder) record.reordered++;
    if (plan.delayMs <= 0) {
      next();
      return;
    }
    record.delayed++;
    this.hold(unit);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.unhold(unit);
      next();
      this.maybeEnd();
    }, plan.delayMs);
    this.timers.add(timer);
  }

  private toWindow(unit: Unit, reorder: NonNullable<Plan['reorder']>): void {
    let w = this.windows.get(reorder.toxic);
    if (!w) {
      w = { units: [], rng: reorder.rng, limit: reorder.window, timer: null };
      this.windows.set(reorder.toxic, w);
      const name = reorder.toxic;
      w.timer = setTimeout(() => {
        this.releaseWindow(name);
        this.maybeEnd();
      }, reorder.windowMs);
    }
    this.hold(unit);
    w.units.push(unit);
    if (w.units.length >= w.limit || this.ending) this.releaseWindow(reorder.toxic);
  }

  /** Releases a reorder window in a seeded order that is not the arrival order (when it holds 2 or more). */
  private releaseWindow(name: string): void {
    const w = this.windows.get(name);
    if (!w) return;
    this.windows.delete(name);
    if (w.timer) clearTimeout(w.timer);
    const order = w.units.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = w.rng.int(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    if (order.length > 1 && order.every((v, i) => v === i)) order.push(order.shift()!);
    for (const i of order) {
      const unit = w.units[i]!;
      this.unhold(unit);
      this.release(unit);
    }
  }

  private release(unit: Unit): void {
    for (let i = 0; i <= unit.copies; i++) this.emit(unit.raw);
  }

  private emit(bytes: Buffer): void {
    if (this.disposed || this.ended || this.out.closed) return;
    if (!this.out.write(bytes) && !this.blocked) {
      this.blocked = true;
      this.out.onDrain(() => {
        this.blocked = false;
        this.maybeDrain();
      });
    }
  }

  private hold(unit: Unit): void {
    this.heldUnits++;
    this.heldBytes += unit.raw.length;
  }

  private unhold(unit: Unit): void {
    this.heldUnits--;
    this.heldBytes -= unit.raw.length;
    this.maybeDrain();
  }

  private maybeDrain(): void {
    if (this.blocked || this.heldBytes > HELD_HIGH_WATER || !this.drainListener) return;
    const listener = this.drainListener;
    this.drainListener = null;
    listener();
  }

  private maybeEnd(): void {
    if (!this.ending || this.ended || this.heldUnits > 0 || this.disposed) return;
    if (this.tail && this.tail.length > 0) this.emit(this.tail);
    this.ended = true;
    if (!this.out.closed) this.out.end();
  }
}

/** `action` with a journaled value (replay) applied instead of what was drawn now. */
function withReplayValue(action: NatsAction, value: DecisionValue | undefined): NatsAction {
  if (!value) return action;
  if (action.kind === 'delay' && value.delayMs !== undefined) return { ...action, ms: value.delayMs };
  if (action.kind === 'duplicate' && value.copies !== undefined) return { ...action, copies: value.copies };
  return action;
}

/** A header block whose first line carries a status code (`NATS/1.0 100 Idle Heartbeat`). */
function isStatus(frame: NatsMessageFrame): boolean {
  const line = frame.raw.toString('latin1', frame.bodyOffset, frame.bodyOffset + Math.min(frame.headerBytes, 16));
  return /^NATS\/\d+\.\d+[ \t]+\d{3}/.test(line);
}
