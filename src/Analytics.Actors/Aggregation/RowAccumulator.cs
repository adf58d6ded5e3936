using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>A mutable row the pump folds one batch into, per key, before telling the aggregator.</summary>
internal sealed class RowAccumulator
{
    public long Requests, Failed, Input, Output, CacheRead, CacheCreation, Reasoning, Cost, Unpriced;
    public long DurationSum, DurationSamples, TtftSum, TtftSamples;

    public void AddCompleted(in Ingress.IngressRecord r, long cost, bool unpriced)
    {
        Requests++;
        Input += r.InputTokens;
        Output += r.OutputTokens;
        CacheRead += r.CacheReadTokens;
        CacheCreation += r.CacheCreationTokens;
        Reasoning += r.ReasoningTokens;
        Cost += cost;
        if (unpriced) Unpriced++;
        AddTimings(r);
    }

    public void AddFailed(in Ingress.IngressRecord r)
    {
        Requests++;
        Failed++;
        AddTimings(r);
    }

    private void AddTimings(in Ingress.IngressRecord r)
    {
        if (r.DurationMs >= 0) { DurationSum += r.DurationMs; DurationSamples++; }
        if (r.TimeToFirstTokenMs >= 0) { TtftSum += r.TimeToFirstTokenMs; TtftSamples++; }
    }

    public UsageRow ToRow() => new()
    {
        Requests = Requests,
        Failed = Failed,
        InputTokens = Input,
        OutputTokens = Output,
        CacheReadInputTokens = CacheRead,
        CacheCreationInputTokens = CacheCreation,
        ReasoningTokens = Reasoning,
        CostMicros = Cost,
        UnpricedRequests = Unpriced,
        DurationMsSum = DurationSum,
        DurationSamples = DurationSamples,
        TimeToFirstTokenMsSum = TtftSum,
        TimeToFirstTokenSamples = TtftSamples,
    };
}
