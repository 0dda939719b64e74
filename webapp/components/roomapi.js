// A member's post to the room API (hall/room_api.py), which the components that post into a room share
// (components/__init__.py's asset() puts this file before their scripts): the drawing pad's drawings (canvas.js) and
// the lesson's answers (room.js).
const RETRY_S = 2;  // a room that could not be reached is worth another try after this long

// POST /api/rooms/CODE/PATH with the member's id and body; resolves to [what to say ("" when the room took it),
// seconds after which to post it again (0: not again)]. The room's refusals come as HTTP statuses, said in the page's
// language (room.words); a store that does not answer (503, with its Retry-After) or a network that fails is the
// room that cannot be reached, worth another try.
async function postToRoom(room, path, body) {
  try {
    const answer = await fetch(`/api/rooms/${room.code}/${path}`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ member: room.member, ...body }),
    });
    if (answer.ok) return ["", 0];
    const again = answer.status === 503 ? Number(answer.headers.get("Retry-After")) || RETRY_S : 0;
    return [room.words[answer.status] || room.words[503], again];
  } catch {
    return [room.words[503], RETRY_S];
  }
}
