using Analytics.Actors;
using Analytics.Contracts;

namespace Analytics.Tests.Ingress;

/// <summary>The recorder alone, with no pump draining it: what the hot path promises by itself.</summary>
public sealed class UsageRecorderSpecs
{
    [Fact]
    public void Defaults_match_the_reference_crate_ten_thousand_slots()
    {
        var recorder = new UsageRecorder();
        Assert.Equal(10_000, recorder.Capacity);
        Assert.True(recorder.IsEmpty);
    }

    [Fact]
    public void A_full_ring_drops_the_newest_event_counts_it_and_never_blocks()
    {
        var recorder = new UsageRecorder(capacity: 16);
        var accepted = 0;
        // No pump: if recording could block, this loop would never end.
        for (var i = 0; i < 1_000; i++)
        {
            if (recorder.RecordCompleted("gpt-4o", 1, 1)) accepted++;
        }
        Assert.Equal(16, accepted);
        Assert.Equal(16, recorder.AcceptedCount);
        Assert.Equal(984, recorder.DroppedCount);
        Assert.Equal(16, recorder.PendingCount);
        Assert.False(recorder.IsEmpty);
    }

    [Fact]
    public void Try_forms_return_false_when_full_without_counting_a_drop()
    {
        var recorder = new UsageRecorder(capacity: 16);
        for (var i = 0; i < 16; i++) Assert.True(recorder.TryRecordCompleted("gpt-4o", new TokenUsage(1, 1)));
        Assert.False(recorder.TryRecordCompleted("gpt-4o", new TokenUsage(1, 1)));
        Assert.False(recorder.TryRecordFailed("gpt-4o"));
        Assert.False(recorder.TryRecord(new RouterStarted { Port = 1 }));
        Assert.Equal(0, recorder.DroppedCount);
    }

    [Theory]
    [InlineData(-1, 0, 0, 0, 0, "input_tokens must be >= 0")]
    [InlineData(0, -1, 0, 0, 0, "output_tokens must be >= 0")]
    [InlineData(10, 0, -1, 0, 0, "cache_read_input_tokens must be >= 0")]
    [InlineData(10, 0, 0, -1, 0, "cache_creation_input_tokens must be >= 0")]
    [InlineData(10, 5, 0, 0, -1, "reasoning_tokens must be >= 0")]
    [InlineData(10, 0, 6, 5, 0, "exceed input_tokens")]
    [InlineData(10, 5, 0, 0, 6, "reasoning_tokens (6) exceed output_tokens (5)")]
    public void Invalid_token_counts_are_rejected_counted_and_explained(long input, long output, long cacheRead, long cacheCreation, long reasoning, string reason)
    {
        var recorder = new UsageRecorder(capacity: 16);
        var usage = new TokenUsage(input, output, cacheRead, cacheCreation, reasoning);

        Assert.False(recorder.RecordCompleted("gpt-4o", usage));
        Assert.Equal(1, recorder.RejectedCount);
        Assert.Contains(reason, recorder.LastRejection);
        Assert.Equal(0, recorder.AcceptedCount);
        Assert.Equal(0, recorder.DroppedCount);

        var thrown = Assert.Throws<ArgumentException>(() => recorder.TryRecordCompleted("gpt-4o", usage));
        Assert.Contains(reason, thrown.Message);
    }

    [Fact]
    public void Other_invalid_calls_are_rejected_and_valid_ones_around_them_still_count()
    {
        var recorder = new UsageRecorder(capacity: 64);
        Assert.True(recorder.RecordCompleted("gpt-4o", 1, 1));
        Assert.False(recorder.RecordCompleted("", 1, 1));
        Assert.False(recorder.RecordCompleted("gpt-4o", new TokenUsage(1, 1), costMicros: -5));
        Assert.False(recorder.RecordCompleted("gpt-4o", new TokenUsage(1, 1), timing: new RequestTiming { DurationMs = -1 }));
        Assert.False(recorder.RecordFailed(null!));
        Assert.False(recorder.Record(null!));
        Assert.False(recorder.Record(new LlmRequestCompleted { Model = "gpt-4o", Provider = "", InputTokens = 1 }));
        Assert.True(recorder.RecordFailed("gpt-4o"));

        Assert.Equal(6, recorder.RejectedCount);
        Assert.Equal(2, recorder.AcceptedCount);
        Assert.Throws<ArgumentException>(() => recorder.TryRecordCompleted("gpt-4o", new TokenUsage(1, 1), identity: new EventIdentity { TimestampMs = -1 }));
        // An empty id could never be sent upstream: refused at the door rather than lost in sync.
        Assert.Throws<ArgumentException>(() => recorder.TryRecordFailed("gpt-4o", identity: new EventIdentity { EventId = "" }));
        Assert.False(recorder.Record(new LlmRequestFailed { Model = "gpt-4o", Provider = "openai", EventId = "" }));
        Assert.False(recorder.Record(new LlmRequestCompleted { Model = "gpt-4o", Provider = "openai", TimestampMs = -5 }));
        Assert.Equal(8, recorder.RejectedCount);
    }

    [Fact]
    public void Token_usage_allows_cache_counts_that_exactly_fill_the_input()
    {
        Assert.Null(new TokenUsage(10, 5, CacheRead: 4, CacheCreation: 6, Reasoning: 5).Validate());
        Assert.Null(new TokenUsage(long.MaxValue, 0, CacheRead: long.MaxValue).Validate());
        Assert.NotNull(new TokenUsage(long.MaxValue, 0, CacheRead: long.MaxValue, CacheCreation: 1).Validate());
    }

    [Fact]
    public void Recording_from_many_threads_with_no_consumer_accounts_for_every_call()
    {
        const int threads = 4, perThread = 50_000;
        var recorder = new UsageRecorder(capacity: 1_000, shards: 2);
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                for (var i = 0; i < perThread; i++) recorder.RecordCompleted("gpt-4o", 1, 1);
            });
            workers[t].Start();
        }
        foreach (var w in workers) w.Join();

        Assert.Equal(1_000, recorder.AcceptedCount);
        Assert.Equal(threads * perThread - 1_000, recorder.DroppedCount);
    }
}
