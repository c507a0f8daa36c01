/**
 * Fault points for the crash tests (test/reliability/fault-arm.ts): named places where a process may
 * be killed on purpose — between the statements of the aggregate flush transaction, just before and
 * just after its COMMIT, and between a consumer's handled batch (enrich: published) and its offset
 * commit. In production nothing is installed and `faultPoint` is a property read and a return.
 *
 * The handler lives on `globalThis` under a registered symbol, so a preload module (`node --import`)
 * can install it whatever module instance the code under test was loaded through.
 */
export const FAULT_POINTS = [
  /** Before each SQL statement inside the aggregate flush transaction. */
  'aggregate.statement',
  /** The flush's statements ran; its COMMIT has not been sent. */
  'aggregate.before-commit',
  /** The flush's COMMIT returned; the events are not acknowledged yet. */
  'aggregate.after-commit',
  /** A consumer's handler finished its batch (enrich: published it); the offsets are not committed. */
  'consumer.after-handle',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export type FaultHandler = (point: FaultPoint) => void;

const SLOT = Symbol.for('webtrafficmonitor.fault-handler');

type Slot = { [SLOT]?: FaultHandler };

export function faultPoint(point: FaultPoint): void {
  (globalThis as Slot)[SLOT]?.(point);
}

/** Installs (or with undefined removes) the process's fault handler. Tests only. */
export function setFaultHandler(handler: FaultHandler | undefined): void {
  (globalThis as Slot)[SLOT] = handler;
}
