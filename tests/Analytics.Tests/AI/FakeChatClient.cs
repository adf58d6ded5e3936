using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Analytics.Tests.AI;

/// <summary>
/// A scripted <see cref="IChatClient"/>: each call advances the fake clock as a real backend would take time, then
/// answers, streams, fails or waits for cancellation as the spec set it up to.
/// </summary>
internal sealed class FakeChatClient(FakeTimeProvider time) : IChatClient
{
    /// <summary>What <see cref="GetService"/> answers for <see cref="ChatClientMetadata"/>; null answers nothing.</summary>
    public ChatClientMetadata? Metadata { get; set; } = new("openai", null, "gpt-4o-default");

    /// <summary>The non-streaming answer, given after <see cref="Latency"/>.</summary>
    public ChatResponse Response { get; set; } = new(new ChatMessage(ChatRole.Assistant, "hi"));

    /// <summary>Thrown by the call (non-streaming), or after <see cref="FailAfterUpdates"/> updates (streaming).</summary>
    public Exception? Failure { get; set; }

    /// <summary>How long a non-streaming call takes on the fake clock.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(840);

    /// <summary>The streamed updates, each preceded by its delay on the fake clock.</summary>
    public List<(TimeSpan Delay, ChatResponseUpdate Update)> Updates { get; } = [];

    /// <summary>Streaming: throw <see cref="Failure"/> after this many updates.</summary>
    public int FailAfterUpdates { get; set; } = int.MaxValue;

    /// <summary>Waits for the caller's cancellation instead of answering (after <see cref="WaitAfterUpdates"/> updates when streaming).</summary>
    public bool WaitForCancellation { get; set; }

    /// <summary>Streaming: wait for cancellation after this many updates.</summary>
    public int WaitAfterUpdates { get; set; }

    /// <summary>Signalled when the call starts waiting for cancellation.</summary>
    public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The options of the last call, as the fake received them.</summary>
    public ChatOptions? LastOptions { get; private set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        LastOptions = options;
        time.Advance(Latency);
        if (WaitForCancellation) await WaitAsync(cancellationToken);
        if (Failure is not null) throw Failure;
        return Response;
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        LastOptions = options;
        for (var i = 0; i < Updates.Count; i++)
        {
            if (i == FailAfterUpdates) throw Failure!;
            if (WaitForCancellation && i == WaitAfterUpdates) await WaitAsync(cancellationToken);
            var (delay, update) = Updates[i];
            time.Advance(delay);
            yield return update;
        }
        if (FailAfterUpdates == Updates.Count) throw Failure!;
        if (WaitForCancellation && WaitAfterUpdates == Updates.Count) await WaitAsync(cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceType == typeof(ChatClientMetadata) ? Metadata : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        Waiting.TrySetResult();
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
    }
}
