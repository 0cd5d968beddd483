using StrideCampus.AiChat.LocalStack.Postgres;

// Until the chat client lands, the demo proves the embedded backend starts and stops.
Console.WriteLine("StrideCampus.AiChat demo: starting the embedded LocalStack database...");
await using var pg = await EmbeddedPostgres.StartAsync();
Console.WriteLine($"PostgreSQL ready on 127.0.0.1:{pg.Port} with the AI chat schema applied.");
Console.WriteLine("The two-tab live chat demo arrives with the chat client; this command stays the same.");
return 0;
