declare module 'warpgrid:shim/signals@0.1.0' {
  /**
   * Registers interest in `signal`; returns true when newly registered.
   */
  export function onSignal(signal: SignalType): boolean;
  /**
   * Dequeues the oldest pending signal the guest registered for.
   */
  export function pollSignal(): SignalType | undefined;
  /**
   * # Variants
   * 
   * ## `"terminate"`
   * 
   * ## `"hangup"`
   * 
   * ## `"interrupt"`
   */
  export type SignalType = 'terminate' | 'hangup' | 'interrupt';
}
