using System.Runtime.CompilerServices;
using Analytics.Contracts;
using Microsoft.Extensions.AI;

namespace Analytics.Actors.AI;

/// <summary>
/// A chat client that records every call it passes through into a <see cref="UsageRecorder"/>: one completed request
/// with its tokens, or one failed request with an error code. Add it with
/// <see cref="UsageAnalyticsChatClientBuilderExtensions.UseUsageAnalytics"/>.
/// </summary>
/// <remarks>
/// <para><b>Non-streaming:</b> usage from <see cref="ChatResponse.Usage"/>; duration measured around the call.</para>
/// <para><b>Streaming:</b> usage summed over the <see cref="UsageContent"/> items of the updates (as
/// <c>ToChatResponse</c> sums them); time to first token is the time to the first update, duration the time to the end
/// of the stream. The call is recorded when the enumeration ends however it ends: completed, failed, cancelled, or
/// abandoned by a consumer that stopped early (<c>await foreach</c> disposes the enumerator, which is what records it).
/// A stream that ended early is recorded as completed with the usage seen so far when it reported some, else as failed
/// with the error code <c>cancelled</c> or the exception's kind.</para>
/// <para><b>Model:</b> the response's, else <see cref="ChatOptions.ModelId"/>, else <see cref="ChatClientMetadata.DefaultModelId"/>,
/// else <c>unknown</c>. <b>Provider:</b> <see cref="UsageAnalyticsChatClientOptions.Provider"/>, else mapped from
/// <see cref="ChatClientMetadata.ProviderName"/> (OpenAI and Azure OpenAI are <c>openai</c>, Anthropic <c>anthropic</c>,
/// Gemini and Vertex AI <c>google</c>, ...), else inferred from the model name by the pump.</para>
/// <para><b>Tokens:</b> <see cref="UsageDetails.InputTokenCount"/>, <see cref="UsageDetails.OutputTokenCount"/>,
/// <see cref="UsageDetails.CachedInputTokenCount"/> (cache read) and <see cref="UsageDetails.ReasoningTokenCount"/>; cache
/// writes from <see cref="UsageDetails.AdditionalCounts"/> under <c>CacheCreationInputTokens</c> (the Anthropic SDKs) or
/// <c>cache_creation_input_tokens</c>.</para>
/// <para>Exceptions of the inner client reach the caller unchanged. Recording never throws into the caller: it is a
/// ring write that cannot block, and anything that goes wrong in it (an attribution resolver that throws) is counted in
/// <see cref="RecordingErrors"/>.</para>
/// </remarks>
public sealed class UsageAnalyticsChatClient : DelegatingChatClient
{
    private readonly UsageRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly Func<ChatOptions?, string?> _agentId;
    private readonly Func<ChatOptions?, string?> _providerId;
    private readonly string? _provider;
    private readonly Lazy<ChatClientMetadata?> _metadata;
    private long _recordingErrors;

    /// <summary>Wraps <paramref name="innerClient"/>.</summary>
    /// <param name="innerClient">The client whose calls are recorded.</param>
    /// <param name="recorder">Where they are recorded.</param>
    /// <param name="options">Attribution and clock; optional.</param>
    public UsageAnalyticsChatClient(IChatClient innerClient, UsageRecorder recorder, UsageAnalyticsChatClientOptions? options = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        _recorder = recorder;
        _time = options?.TimeProvider ?? TimeProvider.System;
        _agentId = options?.AgentIdResolver ?? (o => ChatUsageMapping.Property(o, UsageAnalyticsChatClientOptions.AgentIdProperty));
        _providerId = options?.ProviderIdResolver ?? (o => ChatUsageMapping.Property(o, UsageAnalyticsChatClientOptions.ProviderIdProperty));
        _metadata = new Lazy<ChatClientMetadata?>(ReadMetadata);
        _provider = options?.Provider;
    }

    /// <summary>
    /// Calls whose recording went wrong (an attribution resolver threw, for example): the call itself was not affected,
    /// its usage was not recorded. Refusals by the recorder (ring full, invalid input) are counted by the recorder instead.
    /// </summary>
    public long RecordingErrors => Volatile.Read(ref _recordingErrors);

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var started = _time.GetTimestamp();
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        // The filter records and declines, so the exception is never caught: it reaches the caller untouched.
        catch (Exception e) when (RecordFailed(options, null, started, e))
        {
            throw;
        }
        RecordCompleted(options, response.ModelId, ChatUsageMapping.ToTokenUsage(response.Usage), started, null);
        return response;
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
        => StreamAsync(messages, options, cancellationToken);

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(IEnumerable<ChatMessage> messages, ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        long? firstUpdate = null;
        string? model = null;
        UsageDetails? usage = null;
        Exception? failure = null;
        var finished = false;
        IAsyncEnumerator<ChatResponseUpdate>? updates = null;
        try
        {
            try
            {
                updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            }
            catch (Exception e)
            {
                failure = e;
                throw;
            }
            while (true)
            {
                bool more;
                try
                {
                    more = await updates.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    failure = e;
                    throw;
                }
                if (!more) break;

                var update = updates.Current;
                firstUpdate ??= _time.GetTimestamp();
                model ??= update.ModelId;
                foreach (var content in update.Contents)
                {
                    if (content is UsageContent { Details: { } details }) (usage ??= new UsageDetails()).Add(details);
                }
                yield return update;
            }
            finished = true;
        }
        finally
        {
            try
            {
                if (updates is not null) await updates.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                RecordStream(options, model, usage, started, firstUpdate, finished, failure);
            }
        }
    }

    private void RecordStream(ChatOptions? options, string? model, UsageDetails? usage, long started, long? firstUpdate, bool finished, Exception? failure)
    {
        // A stream cut short still cost what it reported: with usage it is a completed request, without it a failed one.
        if (finished || usage is not null) RecordCompleted(options, model, ChatUsageMapping.ToTokenUsage(usage), started, firstUpdate);
        else RecordFailed(options, model, started, failure);
    }

    private void RecordCompleted(ChatOptions? options, string? responseModel, TokenUsage usage, long started, long? firstUpdate)
    {
        try
        {
            _recorder.RecordCompleted(Model(responseModel, options), usage, Attribution(options), Timing(started, firstUpdate));
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _recordingErrors);
        }
    }

    /// <returns>Always false, so it can serve as an exception filter that lets the exception pass.</returns>
    private bool RecordFailed(ChatOptions? options, string? responseModel, long started, Exception? failure)
    {
        try
        {
            var reason = failure is null
                ? new RequestFailure { ErrorCode = ChatUsageMapping.Cancelled, ErrorMessage = "the stream was abandoned before it ended" }
                : new RequestFailure { ErrorCode = ChatUsageMapping.ErrorCode(failure), ErrorMessage = ChatUsageMapping.ErrorMessage(failure) };
            // A failed request keeps its duration only: failed events carry no time to first token.
            _recorder.RecordFailed(Model(responseModel, options), Attribution(options), reason, Timing(started, null));
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _recordingErrors);
        }
        return false;
    }

    private string Model(string? responseModel, ChatOptions? options)
        => NonEmpty(responseModel) ?? NonEmpty(options?.ModelId) ?? NonEmpty(_metadata.Value?.DefaultModelId) ?? ChatUsageMapping.UnknownModel;

    private RequestAttribution Attribution(ChatOptions? options) => new()
    {
        AgentId = NonEmpty(_agentId(options)),
        ProviderId = NonEmpty(_providerId(options)),
        Provider = NonEmpty(_provider) ?? ChatUsageMapping.Provider(_metadata.Value?.ProviderName),
    };

    private RequestTiming Timing(long started, long? firstUpdate) => new()
    {
        DurationMs = Milliseconds(started, _time.GetTimestamp()),
        TimeToFirstTokenMs = firstUpdate is { } first ? Milliseconds(started, first) : null,
    };

    private long Milliseconds(long from, long to) => (long)_time.GetElapsedTime(from, to).TotalMilliseconds;

    private ChatClientMetadata? ReadMetadata()
    {
        try
        {
            return InnerClient.GetService<ChatClientMetadata>();
        }
        catch (Exception)
        {
            // A client that cannot describe itself is still recorded, with the model and provider from elsewhere.
            return null;
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
