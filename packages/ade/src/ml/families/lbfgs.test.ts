import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { minimizeLbfgs } from './lbfgs.js';

describe('minimizeLbfgs', () => {
  it('should find the minimum of the Rosenbrock function', () => {
    const r = minimizeLbfgs(
      (w, g) => {
        const [a, b] = [w[0]!, w[1]!];
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.of(-1.2, 1),
      { maxIterations: 500, gradientTolerance: 1e-9, relativeTolerance: 0 },
    );
    assert.ok(r.converged);
    assert.ok(Math.abs(r.w[0]! - 1) < 1e-6 && Math.abs(r.w[1]! - 1) < 1e-6, `w = ${[...r.w]}`);
  });

  it('should stop at the iteration limit or a passed deadline and report not converged', () => {
    const quad = (w: Float64Array, g: Float64Array) => {
      let f = 0;
      for (let i = 0; i < w.length; i++) {
        g[i] = (i + 1) * (w[i]! - 1);
        f += 0.5 * (i + 1) * (w[i]! - 1) ** 2;
      }
      return f;
    };
    const limited = minimizeLbfgs(quad, new Float64Array(20), { maxIterations: 2, gradientTolerance: 1e-12, relativeTolerance: 0 });
    assert.equal(limited.iterations, 2);
    assert.equal(limited.converged, false);
    const late = minimizeLbfgs(quad, new Float64Array(20), { maxIterations: 100, gradientTolerance: 1e-12, deadline: performance.now() - 1 });
    assert.equal(late.iterations, 0);
    assert.equal(late.converged, false);
    const full = minimizeLbfgs(quad, new Float64Array(20), { maxIterations: 200, gradientTolerance: 1e-10, relativeTolerance: 0 });
    assert.ok(full.converged && full.w.every((v) => Math.abs(v - 1) < 1e-9));
  });
});
