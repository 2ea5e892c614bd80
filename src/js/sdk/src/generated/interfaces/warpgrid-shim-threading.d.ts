declare module 'warpgrid:shim/threading@0.1.0' {
  export function declareThreadingModel(model: ThreadingModel): void;
  /**
   * # Variants
   * 
   * ## `"single-threaded"`
   * 
   * ## `"cooperative"`
   * 
   * ## `"parallel-required"`
   */
  export type ThreadingModel = 'single-threaded' | 'cooperative' | 'parallel-required';
}
