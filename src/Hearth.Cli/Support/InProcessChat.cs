using Hearth.Engine;
using Hearth.Server;
using Hearth.Store;
using Hearth.Store.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Hearth.Cli.Support;

/// <summary>`hearth run` without a running server: starts the real HTTP server inside this process on a free
/// loopback port (ModelHost over the store with <see cref="Loader"/>) and chats with it like with any server, so the
/// prompt building and streaming are exactly the served ones.</summary>
internal static class InProcessChat
{
    /// <summary>The real model loader (GGUF → tokenizer, chat template, engine). Set once at start-up by the code that
    /// wires the engine in (Program.cs); null until then, and `hearth run` then needs `hearth serve`.</summary>
    public static Func<ModelEntry, CancellationToken, Task<LoadedModel>>? Loader { get; set; }

    public static async Task<IChatBackend> StartAsync(ModelStore store, Func<ModelEntry, CancellationToken, Task<LoadedModel>> loader, CancellationToken cancellationToken)
    {
        // The model stays loaded for the whole session (negative keep-alive); the process exit ends it.
        var host = new ModelHost(store, loader, new ModelHostOptions { DefaultKeepAlive = TimeSpan.FromSeconds(-1), DefaultModelName = EmbeddedModel.Name.ToString() });
        WebApplication? app = null;
        try
        {
            app = HearthServer.Build(new ServerOptions { Host = "127.0.0.1", Port = 0, LogRequests = false }, host, store, _ => { });
            await app.StartAsync(cancellationToken);
            var url = HearthServer.BoundAddresses(app).FirstOrDefault() ?? throw new CliException("the in-process server did not bind a port");
            return new Backend(app, host, new ServerClient(new Uri(url.TrimEnd('/') + "/")));
        }
        catch
        {
            if (app != null) await app.DisposeAsync();
            await host.DisposeAsync();
            throw;
        }
    }

    private sealed class Backend(WebApplication app, ModelHost host, ServerClient client) : IChatBackend
    {
        public IAsyncEnumerable<string> ChatAsync(string model, IReadOnlyList<ChatMessage> messages, System.Text.Json.Nodes.JsonObject options, CancellationToken cancellationToken) =>
            client.ChatAsync(model, messages, options, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await client.DisposeAsync();
            await app.StopAsync();
            await app.DisposeAsync();
            await host.DisposeAsync();
        }
    }
}
