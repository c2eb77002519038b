import { Injectable } from '@nestjs/common';
import { LoopsRateLimiter } from '../../lib';

/** A limiter of the app's own whose store goes away once a slot is granted: its release and pauseFor throw. */
@Injectable()
export class ThrowingAfterGrantLimiter extends LoopsRateLimiter {
  async acquire(): Promise<() => void> {
    return () => {
      throw new Error('limiter store unreachable');
    };
  }

  pauseFor(): void {
    throw new Error('limiter store unreachable');
  }
}
