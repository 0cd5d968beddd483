namespace StrideCampus.AiChat.Benchmarks.Decode;

/// <summary>The first line of a <see cref="FrameRecording"/>.</summary>
/// <param name="Version">The file format (<see cref="FrameRecording.FormatVersion"/>).</param>
/// <param name="UserId">The user whose changes were recorded (a replay recreates the user with this id).</param>
/// <param name="SessionIds">The user's sessions, present (without messages) before the first frame.</param>
/// <param name="Topic">The topic the frames carry (a replay rewrites it to its own channel's).</param>
/// <param name="JoinReplyBindings">The join reply's <c>postgres_changes</c> array (ids and filters), as JSON.</param>
/// <param name="FrameCount">How many frames follow.</param>
/// <param name="ExpectedMessages">How many messages exist after the last frame.</param>
/// <param name="ExpectedContentSuffix">How every remaining message's content ends after the last frame.</param>
internal sealed record FrameRecordingHeader(
    int Version,
    Guid UserId,
    Guid[] SessionIds,
    string Topic,
    string JoinReplyBindings,
    int FrameCount,
    int ExpectedMessages,
    string ExpectedContentSuffix);
