using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Tests.Ingress;

public sealed class IngressShardSpecs
{
    private static IngressRecord Tagged(long tag) => new() { Kind = AnalyticsEventKind.LlmRequestCompleted, Model = "m", InputTokens = tag };

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(1000)]
    public void Capacity_is_exact_and_a_full_shard_refuses_the_next_write(int capacity)
    {
        var shard = new IngressShard(capacity);
        for (var i = 0; i < capacity; i++) Assert.True(shard.TryWrite(Tagged(i)), $"write {i} of {capacity}");
        Assert.False(shard.TryWrite(Tagged(-1)));
        Assert.Equal(capacity, shard.Accepted);
        Assert.Equal(0, shard.Consumed);
    }

    [Fact]
    public void Reads_come_back_in_write_order_across_many_laps()
    {
        var shard = new IngressShard(7);
        long next = 0, expected = 0;
        // Uneven write/read bursts so the head and tail wrap at different points of the ring.
        for (var round = 0; round < 500; round++)
        {
            var writes = round % 7 + 1;
            for (var i = 0; i < writes && shard.TryWrite(Tagged(next)); i++) next++;
            var reads = (round * 3) % 7 + 1;
            for (var i = 0; i < reads && shard.TryRead(out var r); i++)
            {
                Assert.Equal(expected++, r.InputTokens);
            }
        }
        while (shard.TryRead(out var r)) Assert.Equal(expected++, r.InputTokens);
        Assert.Equal(next, expected);
        Assert.Equal(next, shard.Accepted);
        Assert.Equal(next, shard.Consumed);
        Assert.True(next > 7 * 50, "the test must wrap the ring many times");
    }

    [Fact]
    public void A_read_clears_the_slot_so_folded_strings_can_be_collected()
    {
        var shard = new IngressShard(2);
        shard.TryWrite(new IngressRecord { Model = "gpt-4o", AgentId = "a" });
        Assert.True(shard.TryRead(out var r));
        Assert.Equal("gpt-4o", r.Model);
        Assert.False(shard.TryRead(out _));
    }

    [Fact]
    public void Concurrent_producers_lose_nothing_and_duplicate_nothing()
    {
        const int producers = 4, perProducer = 200_000;
        var shard = new IngressShard(1024);
        var seen = new bool[producers * perProducer];
        long read = 0, duplicates = 0;
        using var done = new CancellationTokenSource();
        var consumer = new Thread(() =>
        {
            while (true)
            {
                if (shard.TryRead(out var r))
                {
                    // No asserts on this thread: an exception here would take the test host down.
                    if (seen[r.InputTokens]) duplicates++;
                    seen[r.InputTokens] = true;
                    read++;
                }
                else if (done.IsCancellationRequested && shard.Consumed == shard.Accepted) break;
                else Thread.SpinWait(8);
            }
        });
        consumer.Start();
        var threads = new Thread[producers];
        for (var p = 0; p < producers; p++)
        {
            var id = p;
            threads[p] = new Thread(() =>
            {
                for (var i = 0; i < perProducer; i++)
                {
                    var tag = (long)id * perProducer + i;
                    while (!shard.TryWrite(Tagged(tag))) Thread.Yield(); // full: wait for the consumer
                }
            });
            threads[p].Start();
        }
        foreach (var t in threads) t.Join();
        done.Cancel();
        consumer.Join();

        Assert.Equal(0, duplicates);
        Assert.Equal(producers * perProducer, read);
        Assert.DoesNotContain(false, seen);
    }
}
