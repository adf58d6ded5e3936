namespace Analytics.Tests.Ingress;

/// <summary>What a recorder does once the analytics stopped: refuse, count, and say why.</summary>
public sealed class RecorderLifecycleSpecs
{
    [Fact]
    public void After_stop_every_record_call_is_refused_and_counted_as_rejected()
    {
        var recorder = new UsageRecorder(64);
        Assert.True(recorder.RecordCompleted("gpt-4o", 1, 1));

        recorder.MarkStopped();

        Assert.True(recorder.IsStopped);
        Assert.False(recorder.RecordCompleted("gpt-4o", 1, 1));
        Assert.False(recorder.RecordFailed("gpt-4o"));
        Assert.False(recorder.RecordRouterStarted(8080));
        Assert.False(recorder.Record(new LlmRequestFailed { Model = "gpt-4o", Provider = "openai" }));
        Assert.Equal(4, recorder.RejectedCount);
        Assert.Equal(1, recorder.AcceptedCount);
        Assert.Equal(0, recorder.DroppedCount);
        Assert.StartsWith("stopped:", recorder.LastRejection);
    }

    [Fact]
    public void After_stop_a_waiting_producer_gets_an_exception_instead_of_waiting_forever()
    {
        var recorder = new UsageRecorder(64);
        recorder.MarkStopped();

        // TryRecord's false means "full, retry": after stop that would spin forever, so it throws.
        var e = Assert.Throws<InvalidOperationException>(() => recorder.TryRecordCompleted("gpt-4o", new TokenUsage(1, 1)));
        Assert.Contains("stopped", e.Message);
        Assert.Throws<InvalidOperationException>(() => recorder.TryRecordFailed("gpt-4o"));
        Assert.Throws<InvalidOperationException>(() => recorder.TryRecord(new RouterStarted { Port = 1 }));
        // Invalid input is still reported as invalid input, not as "stopped".
        Assert.Throws<ArgumentException>(() => recorder.TryRecordCompleted("", new TokenUsage(1, 1)));
        Assert.Equal(0, recorder.AcceptedCount);
    }

    [Fact]
    public void The_quick_check_refuses_exactly_what_the_rule_set_refuses()
    {
        // Values at and around every boundary the rules have, in every combination that matters.
        long[] counts = [0, 1, 5, 10, long.MaxValue, -1, long.MinValue];
        long?[] optional = [null, 0, 3, -1];
        string?[] models = ["gpt-4o", "", null];
        var checkedCases = 0;
        foreach (var model in models)
        foreach (var input in counts)
        foreach (var cacheRead in counts)
        foreach (var cacheCreation in new long[] { 0, 5, long.MaxValue, -1 })
        foreach (var reasoning in new long[] { 0, 1, -1 })
        foreach (var cost in optional)
        foreach (var duration in optional)
        {
            var usage = new TokenUsage(input, 1, cacheRead, cacheCreation, reasoning);
            var timing = new RequestTiming { DurationMs = duration };
            var identity = new EventIdentity { EventId = duration == 3 ? "" : null, TimestampMs = cost == 3 ? -1 : 0 };
            var slow = RecordValidator.Completed(model, usage, cost, timing) ?? RecordValidator.Identity(identity);
            Assert.Equal(slow is null, RecordValidator.QuickCompleted(model, usage, cost, timing, default, identity));
            Assert.Equal((RecordValidator.Failed(model, timing, default) ?? RecordValidator.Identity(identity)) is null,
                RecordValidator.QuickFailed(model, timing, default, default, identity));
            checkedCases++;
        }
        Assert.True(checkedCases > 10_000);
    }
}
