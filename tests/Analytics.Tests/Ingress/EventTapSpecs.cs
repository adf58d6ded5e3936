using System.Threading.Channels;
using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Tests.Ingress;

public sealed class EventTapSpecs
{
    private static readonly LlmRequestCompleted Llm = new() { EventId = "e", Model = "m", Provider = "openai" };
    private static readonly RouterStarted Lifecycle = new() { EventId = "r", Port = 1 };

    [Fact]
    public void A_full_tap_counts_what_it_refuses_and_an_llm_only_tap_ignores_lifecycle_events()
    {
        var channel = Channel.CreateBounded<AnalyticsEvent>(2);
        var tap = new EventTap(channel.Writer, llmEventsOnly: true, isSubscription: false);
        tap.Offer(Lifecycle);
        for (var i = 0; i < 5; i++) tap.Offer(Llm);

        Assert.Equal(2, tap.Accepted);
        Assert.Equal(3, tap.Dropped);
    }

    [Fact]
    public void After_completion_every_offer_is_counted_as_dropped_not_lost()
    {
        // Sync completes its tap at the shutdown flush but leaves it attached, so events recorded while the host
        // is still stopping show up as sync_dropped instead of vanishing from the accounting.
        var channel = Channel.CreateUnbounded<AnalyticsEvent>();
        var tap = new EventTap(channel.Writer, llmEventsOnly: false, isSubscription: false);
        tap.Offer(Llm);
        tap.Complete();
        tap.Offer(Llm);
        tap.Offer(Lifecycle);

        Assert.Equal(1, tap.Accepted);
        Assert.Equal(2, tap.Dropped);
    }
}
