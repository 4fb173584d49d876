// Token accounting for one run: per-call numbers for the model_call trace row, running totals with
// their source (provider / estimated / mixed), and the budget check.
import type { TokenUsage } from '../models';
import type { TokenTotals } from '../engine/types';

export interface CallTokens {
  tokens: number;
  input_tokens: number;
  output_tokens: number;
  token_usage_source: 'provider' | 'estimated';
}

export class TokenMeter {
  private input = 0;
  private output = 0;
  private providerCalls = 0;
  private estimatedCalls = 0;

  add(usage: TokenUsage): CallTokens {
    const input = Math.max(0, Math.round(usage.inputTokens));
    const output = Math.max(0, Math.round(usage.outputTokens));
    this.input += input;
    this.output += output;
    if (usage.estimated) this.estimatedCalls++;
    else this.providerCalls++;
    return { tokens: input + output, input_tokens: input, output_tokens: output, token_usage_source: usage.estimated ? 'estimated' : 'provider' };
  }

  get total(): number {
    return this.input + this.output;
  }

  /** True when a budget is set and the tokens used so far are more than it allows. */
  exceeds(budget: number | undefined): boolean {
    return budget !== undefined && this.total > budget;
  }

  totals(): TokenTotals {
    // With no call at all there is nothing a provider reported: the (zero) figures count as estimated.
    const source = this.providerCalls && this.estimatedCalls ? 'mixed' : this.providerCalls ? 'provider' : 'estimated';
    return { input: this.input, output: this.output, total: this.total, source };
  }
}
