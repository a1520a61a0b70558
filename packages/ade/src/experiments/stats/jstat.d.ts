/**
 * The slice of jstat (CommonJS, no bundled types) the stats engine uses. Only
 * `distributions.ts` imports it; everything else goes through that module.
 */
declare module 'jstat' {
  interface JStatStatic {
    /** Regularised incomplete beta function I_x(a, b). */
    ibeta(x: number, a: number, b: number): number;
    readonly studentt: {
      inv(p: number, dof: number): number;
    };
    readonly normal: {
      cdf(x: number, mean: number, std: number): number;
      inv(p: number, mean: number, std: number): number;
      pdf(x: number, mean: number, std: number): number;
    };
    readonly chisquare: {
      cdf(x: number, dof: number): number;
    };
  }
  const jStat: JStatStatic;
  export default jStat;
}
