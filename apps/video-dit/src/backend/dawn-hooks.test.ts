import { describe, expect, test } from 'vitest';
import { listen, listenAll } from './dawn-hooks.js';

class Queue {
  submitted: number[] = [];
  submit(n: number): number {
    this.submitted.push(n);
    return n * 2;
  }
}

describe('listen', () => {
  test('calls its listeners after the method with its result, arguments and this, and puts the method back when the last stops', () => {
    const queue = new Queue();
    const inherited = Queue.prototype.submit;
    const heard: string[] = [];
    const stopA = listen(queue, 'submit', (result, args, self) => heard.push(`a ${result} ${args} ${self === queue}`));
    const stopB = listen(queue, 'submit', (result) => heard.push(`b ${result}`));
    expect(queue.submit(3)).toBe(6);
    expect(queue.submitted).toEqual([3]);
    expect(heard).toEqual(['a 6 3 true', 'b 6']);
    stopA();
    // stopping twice changes nothing
    stopA();
    queue.submit(4);
    expect(heard).toEqual(['a 6 3 true', 'b 6', 'b 8']);
    expect(Object.hasOwn(queue, 'submit')).toBe(true);
    stopB();
    // the method came from the prototype: the object has no own one again
    expect(Object.hasOwn(queue, 'submit')).toBe(false);
    expect(queue.submit).toBe(inherited);
    queue.submit(5);
    expect(heard).toHaveLength(3);
  });

  test('an own method is put back as it was, and listenAll stops every listener at once', () => {
    const own = (n: number) => n + 1;
    const target = { step: own, other: (n: number) => n - 1 };
    let calls = 0;
    const stop = listenAll([
      [target, 'step', () => calls++],
      [target, 'other', () => calls++],
    ]);
    expect(target.step(1) + target.other(1)).toBe(2);
    expect(calls).toBe(2);
    stop();
    expect(target.step).toBe(own);
    target.step(1);
    target.other(1);
    expect(calls).toBe(2);
  });
});
