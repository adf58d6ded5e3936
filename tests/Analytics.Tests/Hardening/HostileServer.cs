using System.Collections.Concurrent;
using Analytics.Tests.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Analytics.Tests.Hardening;

/// <summary>
/// A misbehaving HTTP server on 127.0.0.1 (free port): every request, whatever its method and path, is recorded and
/// answered by <see cref="Handler"/>. For the hostile-server specs (redirects, bad charsets, endless or echoing bodies).
/// </summary>
public sealed class HostileServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<Received> _requests = new();
    private WebApplication _app = null!;

    /// <summary>Base URL, for example <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Answers a request; its body has been read into <see cref="Received.Body"/> already.</summary>
    public Func<HttpContext, Received, Task> Handler { get; set; } = (http, _) =>
    {
        http.Response.StatusCode = 202;
        return Task.CompletedTask;
    };

    /// <summary>Every request so far, in arrival order.</summary>
    public IReadOnlyList<Received> Requests => [.. _requests];

    /// <summary>Starts a server.</summary>
    public static async Task<HostileServer> StartAsync()
    {
        var server = new HostileServer();
        (server._app, server.BaseUrl) = await LoopbackApp.StartAsync(app => app.Run(server.HandleAsync));
        return server;
    }

    public async ValueTask DisposeAsync() => await LoopbackApp.StopAsync(_app);

    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body);
        var received = new Received(http.Request.Method, http.Request.Path + http.Request.QueryString, await reader.ReadToEndAsync());
        _requests.Enqueue(received);
        try
        {
            await Handler(http, received);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away (it read enough): nothing to answer.
        }
        catch (IOException)
        {
            // The same, seen while writing.
        }
    }

    /// <summary>One request as the server saw it.</summary>
    public sealed record Received(string Method, string PathAndQuery, string Body);
}
