import { describeError, errorName } from '../../../shared/errors/describe';

describe('describeError', () => {
  it('gives an Error its message', () => {
    expect(describeError(new Error('disk full'))).toBe('disk full');
    expect(describeError(new TypeError('not a function'))).toBe('not a function');
  });

  it('puts a meaningful class name first when asked', () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    expect(describeError(throttled, { withName: true })).toBe('ThrottlingException: Rate exceeded');
    expect(describeError(new TypeError('x'), { withName: true })).toBe('TypeError: x');
    // A plain Error's name adds nothing.
    expect(describeError(new Error('disk full'), { withName: true })).toBe('disk full');
    // Nor is a name repeated when it is all there is.
    expect(describeError(new RangeError(), { withName: true })).toBe('RangeError');
  });

  it('names an Error without a message by its class', () => {
    expect(describeError(new Error())).toBe('Error');
    expect(describeError(new RangeError(''))).toBe('RangeError');
  });

  it('uses the message of an AggregateError that has one', () => {
    expect(describeError(new AggregateError([new Error('a')], 'all attempts failed'))).toBe(
      'all attempts failed',
    );
  });

  it('lists the errors an AggregateError without a message holds', () => {
    // What a failed connection to a host with an IPv4 and an IPv6 address throws.
    const refused = new AggregateError([
      new Error('connect ECONNREFUSED ::1:5432'),
      new Error('connect ECONNREFUSED 127.0.0.1:5432'),
    ]);
    expect(describeError(refused)).toBe('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
    expect(describeError(new AggregateError([]))).toBe('AggregateError');
  });

  it('does not append the cause: messages that need it already quote it', () => {
    const wrapped = new Error('cannot read config.json', { cause: new Error('EACCES') });
    expect(describeError(wrapped)).toBe('cannot read config.json');
  });

  it('returns a thrown string as it is', () => {
    expect(describeError('timed out')).toBe('timed out');
    expect(describeError('')).toBe('');
  });

  it('takes the message of an object that has one', () => {
    expect(describeError({ message: 'from a worker thread', code: 'E1' })).toBe('from a worker thread');
  });

  it('shows other objects as JSON, and anything else as String() does', () => {
    expect(describeError({ code: 42 })).toBe('{"code":42}');
    expect(describeError({})).toBe('[object Object]');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeError(cyclic)).toBe('[object Object]');
    expect(describeError(undefined)).toBe('undefined');
    expect(describeError(null)).toBe('null');
    expect(describeError(7)).toBe('7');
  });
});

describe('errorName', () => {
  it('is the class of an Error, and Error for anything else', () => {
    const missing = Object.assign(new Error('gone'), { name: 'QueueDoesNotExist' });
    expect(errorName(missing)).toBe('QueueDoesNotExist');
    expect(errorName(new TypeError('x'))).toBe('TypeError');
    expect(errorName('just text')).toBe('Error');
    expect(errorName({ name: 'NotAnError' })).toBe('Error');
  });
});
