import { medianAndRange, summarize, unionLength } from '../../bench/stats';

describe('summarize', () => {
  it('gives the median of an odd number of runs and their range', () => {
    // Act
    const summary = summarize([30, 10, 20]);

    // Assess
    expect(summary).toEqual({ median: 20, min: 10, max: 30, runs: 3 });
  });

  it('averages the two middle runs of an even number', () => {
    // Act
    const summary = summarize([4, 1, 3, 2]);

    // Assess
    expect(summary.median).toBe(2.5);
  });

  it('refuses to summarize no runs', () => {
    // Act
    const act = () => summarize([]);

    // Assess
    expect(act).toThrow(RangeError);
  });
});

describe('medianAndRange', () => {
  it('renders the median with its range for a table cell', () => {
    // Act
    const cell = medianAndRange({ median: 12.34, min: 10, max: 15.06, runs: 5 });

    // Assess
    expect(cell).toBe('12.3 (10.0–15.1)');
  });
});

describe('unionLength', () => {
  it('counts overlapping intervals once', () => {
    // Act
    const length = unionLength([
      [0, 300],
      [250, 320],
    ]);

    // Assess
    expect(length).toBe(320);
  });

  it('adds disjoint intervals, in any order, and ignores empty ones', () => {
    // Act
    const length = unionLength([
      [500, 800],
      [0, 100],
      [900, 900],
      [50, 60],
    ]);

    // Assess
    expect(length).toBe(400);
  });

  it('is zero without intervals', () => {
    // Act
    const length = unionLength([]);

    // Assess
    expect(length).toBe(0);
  });
});
