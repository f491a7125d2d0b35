import { madeViewJson, viewJson, withField } from './view';

describe('a view serialised once', () => {
  const view = {
    instanceId: 'i-1',
    state: 'forstudie.arbeid',
    context: { tekst: 'Søknad «A» \u2028', n: [1, 2] },
    nextEvents: [{ type: 'report.submit', allowed: false }],
  };

  it('is the JSON text of the view, made once and then found', () => {
    expect(madeViewJson(view)).toBeUndefined();
    const text = viewJson(view);
    expect(text).toBe(JSON.stringify(view));
    expect(madeViewJson(view)).toBe(text);
  });

  it('gives a view with a leading field the same text JSON.stringify would', () => {
    viewJson(view);
    const extended = withField('programmeId', 'p-"1"', view);
    expect(extended).toEqual({ programmeId: 'p-"1"', ...view });
    expect(madeViewJson(extended)).toBe(JSON.stringify(extended));
  });

  it('makes no text for an extended view whose own text was not made', () => {
    expect(madeViewJson(withField('programmeId', 'p', { a: 1 }))).toBeUndefined();
  });
});
