namespace StrideCampus.AiChat.BrowserTests.Infrastructure;

/// <summary>The browser tests share one web demo and one Chromium, and run one at a time (one realtime gate).</summary>
[CollectionDefinition("browser")]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>;
