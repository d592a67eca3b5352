// The two channels a sampler thread posts on, as the calling thread holds them: its start result
// (once) and its events (warnings, errors). Neither keeps the process alive.
import { BroadcastChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { SamplerEvent, StartFailure, StartResult } from './protocol.js';

type Port = Parameters<typeof receiveMessageOnPort>[0];

/** `<name>:result` and `<name>:events`, made before the thread posts on them (it waits for the start mark, which comes after). */
export class ThreadChannels {
  #results: BroadcastChannel | null;
  readonly #events: BroadcastChannel;

  constructor(name: string, readonly onResult: (r: StartResult | StartFailure) => void, readonly onEvent: (m: SamplerEvent) => void) {
    // The result arrives through the listener once the event loop turns, or is taken off the channel
    // by takeResult() when a caller needs it before (a started channel delivers only to listeners).
    this.#results = new BroadcastChannel(`${name}:result`);
    this.#results.onmessage = (m) => onResult((m as { data: StartResult | StartFailure }).data);
    this.#results.unref();
    this.#events = new BroadcastChannel(`${name}:events`);
    this.#events.onmessage = (m) => onEvent((m as { data: SamplerEvent }).data);
    this.#events.unref();
  }

  /** Hands the start result to onResult if it has been posted and not yet dispatched: synchronous. */
  takeResult(): void {
    if (this.#results === null) return;
    const m = receiveMessageOnPort(this.#results as unknown as Port) as { message: StartResult | StartFailure } | undefined;
    if (m !== undefined) this.onResult(m.message);
  }

  /** After the start result: its channel is not needed any more. */
  closeResults(): void {
    this.#results?.close();
    this.#results = null;
  }

  /**
   * Hands onEvent the events the thread posted before the sample just seen, which the event loop
   * may not have dispatched yet (the thread posts an event before it publishes the sample, so the
   * event is queued here by then): whoever awaited a sample has heard the warnings before it.
   */
  deliverEvents(): void {
    const events = this.#events as unknown as Port;
    for (let m = receiveMessageOnPort(events); m !== undefined; m = receiveMessageOnPort(events)) {
      this.onEvent((m as { message: SamplerEvent }).message);
    }
  }

  /** Delivers what is queued (none is lost with the channel), then closes both. */
  close(): void {
    this.deliverEvents();
    this.closeResults();
    this.#events.close();
  }
}
