/** The enrich function's public surface: the pure classification (also used by the simulator's ground truth). */
export * from './classify';
