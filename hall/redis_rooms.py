"""The rooms (hall/rooms.py) in a Redis server: the store for several app processes or machines."""
import base64
import json
from dataclasses import asdict

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from hall.rooms import Drawing, Limits, NoSuchRoom, NotMember, RoomFull, RoomStore, TooFast, now, room_of
from hall.state import STORE_TIMEOUT_S

# Every write to a Redis room is one of these Lua scripts, so that its checks and its changes are atomic. KEYS are
# the room's keys (RedisRooms._keys), its hash first; ARGV[1] is the time now, ARGV[2] the room's TTL in ms.
TOUCH = """
redis.call('HSET', KEYS[1], 'last_active', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'version', 1)
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[2]) end
"""
CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'key', ARGV[3], 'created', ARGV[1], 'view', '{}', 'experiment', 'null', 'version', 0,
           'seq', 0, 'model', '')
""" + TOUCH + "return 1"
SET = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
""" + TOUCH + "return 1"
CLEAR = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', unpack(KEYS, 2, #KEYS - 1))
""" + TOUCH + "return 1"
# ARGV[3]: which of the KEYS holds the records (number -> JSON) and, next, the index (member -> [[number, time], ...],
# newest first); ARGV[4] the member, ARGV[5] the record; then the bounds: a member's records, the flood's records and
# window in s. The last key is the room's members. A flood answers when its oldest record in the window leaves it.
APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NoSuchRoom'} end
local now, records, index, member = tonumber(ARGV[1]), KEYS[tonumber(ARGV[3])], KEYS[tonumber(ARGV[3]) + 1], ARGV[4]
if redis.call('SISMEMBER', KEYS[#KEYS], member) == 0 then return {'NotMember'} end
local entry = redis.call('HGET', index, member)
local kept = entry and cjson.decode(entry) or {}
local recent, oldest = 0, now
for _, record in ipairs(kept) do
  if record[2] > now - tonumber(ARGV[8]) then recent = recent + 1; oldest = record[2] end
end
if recent >= tonumber(ARGV[7]) then return {'TooFast', tostring(oldest + tonumber(ARGV[8]) - now)} end
local n = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', records, n, ARGV[5])
local newest = {{n, now}}
for i, record in ipairs(kept) do
  if i < tonumber(ARGV[6]) then newest[i + 1] = record else redis.call('HDEL', records, record[1]) end
end
redis.call('HSET', index, member, cjson.encode(newest))
""" + TOUCH + "return {'ok'}"
# ARGV[3]: the new member; ARGV[4]: the most members a room takes.
JOIN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'NoSuchRoom' end
if redis.call('SCARD', KEYS[#KEYS]) >= tonumber(ARGV[4]) then return 'RoomFull' end
redis.call('SADD', KEYS[#KEYS], ARGV[3])
""" + TOUCH + "return 'ok'"
# ARGV[3]: the member; ARGV[4]: the step; ARGV[5]: the choice. KEYS[ANSWERS + 1] holds each member's choice by
# "step:member", KEYS[TALLIES + 1] how many chose each "step:choice".
ANSWER = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'NoSuchRoom' end
if redis.call('SISMEMBER', KEYS[#KEYS], ARGV[3]) == 0 then return 'NotMember' end
local answers, tallies, mine = KEYS[6], KEYS[7], ARGV[4] .. ':' .. ARGV[3]
local before = redis.call('HGET', answers, mine)
if before then redis.call('HINCRBY', tallies, ARGV[4] .. ':' .. before, -1) end
redis.call('HSET', answers, mine, ARGV[5])
redis.call('HINCRBY', tallies, ARGV[4] .. ':' .. ARGV[5], 1)
""" + TOUCH + "return 'ok'"
# ARGV[3]: the learned model's id, ARGV[4] its figures, ARGV[5] its weights (base64); a room that used its model uses
# this one.
LEARN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'learned', ARGV[3], 'learned_figures', ARGV[4], 'learned_weights', ARGV[5])
if redis.call('HGET', KEYS[1], 'model') ~= '' then redis.call('HSET', KEYS[1], 'model', ARGV[3]) end
""" + TOUCH + "return 1"
# ARGV[3]: '1' to use the learned model, '0' for the shipped one.
USE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'NoSuchRoom' end
local learned = redis.call('HGET', KEYS[1], 'learned')
if ARGV[3] == '1' and not learned then return 'NotLearned' end
redis.call('HSET', KEYS[1], 'model', ARGV[3] == '1' and learned or '')
""" + TOUCH + "return 'ok'"
ROOM, DRAWINGS, DRAWINGS_INDEX, RUNS, RUNS_INDEX, ANSWERS, TALLIES, MEMBERS = range(8)  # RedisRooms._keys' places


def drawing_json(drawing: Drawing) -> str:
    return json.dumps({**asdict(drawing), "image": base64.b64encode(drawing.image).decode()})


def drawing_of(text: str) -> Drawing:
    fields = json.loads(text)
    return Drawing(fields["member"], base64.b64decode(fields["image"]), tuple(fields["vae"]),
                   fields["digit"], fields["at"])


ROOM_FIELDS = ("created", "last_active", "view", "experiment", "model")


class RedisRooms(RoomStore):
    """Rooms in a Redis server, for several app processes or machines. A room is a hash (key, created, last_active,
    view, experiment, version, seq, the model it uses and its learned model: learned, learned_figures and
    learned_weights, in base64), four hashes beside it: its drawings and its runs by number (JSON), and for
    each, every member's kept numbers; and the set of its members. All of a room's keys share its TTL, renewed by
    every write."""
    FAILURES = (redis.RedisError, OSError)

    def __init__(self, url: str, limits: Limits = Limits(), prefix: str = "vaedemo:room:"):
        super().__init__(limits)
        # one try within STORE_TIMEOUT_S (redis-py would retry three times with backoff): a frozen server is
        # Unreachable in 2 s, and the page's next poll is the retry
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=STORE_TIMEOUT_S,
                                           socket_connect_timeout=STORE_TIMEOUT_S, retry=Retry(NoBackoff(), 0))
        self.prefix = prefix
        (self._create, self._set_field, self._clear_room, self._append, self._join_room, self._answer_step,
         self._learn, self._use) = (self.client.register_script(script)
                                    for script in (CREATE, SET, CLEAR, APPEND, JOIN, ANSWER, LEARN, USE))

    def _keys(self, code: str) -> list[str]:
        """The room's hash; its drawings and their index by member; its runs and their index; its answers and their
        tallies; its members. The braces keep them in one slot of a Redis Cluster."""
        room = f"{self.prefix}{{{code}}}"
        return [room] + [f"{room}:{part}" for part in ("drawings", "drawings-index", "runs", "runs-index", "answers",
                                                       "answer-tallies", "members")]

    def _run(self, script, code: str, *args) -> str | int:
        return script(self._keys(code), [now(), max(1, round(self.limits.room_ttl_s * 1000)), *args])

    def _write(self, script, code: str, *args):
        """Run a write script; NoSuchRoom when the room does not live."""
        if not self._run(script, code, *args):
            raise NoSuchRoom(code)

    def _read(self, code: str, reads) -> list:
        """The results of reads (a function that queues reads of the room's keys on a pipeline), run in one
        transaction with the check that the room lives."""
        keys = self._keys(code)
        pipeline = self.client.pipeline()
        pipeline.exists(keys[ROOM])
        reads(pipeline, keys)
        exists, *results = pipeline.execute()
        if not exists:
            raise NoSuchRoom(code)
        return results

    def _insert_room(self, code, key):
        return bool(self._run(self._create, code, key))

    def _room(self, code):
        fields = self.client.hmget(self._keys(code)[ROOM], ROOM_FIELDS)  # not the learned model's weights
        return None if fields[0] is None else room_of(code, *fields)

    def _key(self, code):
        return self.client.hget(self._keys(code)[ROOM], "key")

    def _refuse(self, code: str, outcome: str):
        """Raise the refusal a write script answered with by its name (NoSuchRoom, NotMember, RoomFull); "ok" passes."""
        if outcome == "NoSuchRoom":
            raise NoSuchRoom(code)
        if outcome == "NotMember":
            raise NotMember(code)
        if outcome == "RoomFull":
            raise RoomFull(code, self.limits.members_per_room)

    def _join(self, code, member):
        self._refuse(code, self._run(self._join_room, code, member, self.limits.members_per_room))

    def _joined(self, code):
        (members,) = self._read(code, lambda pipeline, keys: pipeline.scard(keys[MEMBERS]))
        return members

    def _add(self, code: str, slot: int, member: str, record: str, keep: int, flood: int, window_s: float):
        outcome, *detail = self._run(self._append, code, slot + 1, member, record, keep, flood, window_s)
        if outcome == "TooFast":
            raise TooFast(flood, window_s, float(detail[0]))
        self._refuse(code, outcome)

    def _add_drawing(self, code, drawing):
        self._add(code, DRAWINGS, drawing.member, drawing_json(drawing), self.limits.drawings_per_member,
                  self.limits.flood_drawings, self.limits.flood_window_s)

    def _add_run(self, code, member, run):
        keep = self.limits.runs_per_member
        self._add(code, RUNS, member, run, keep, flood=keep + 1, window_s=0)  # more than it keeps: no flood

    def _newest_first(self, records: dict) -> list[str]:
        return [records[n] for n in sorted(records, key=int, reverse=True)]

    def _drawings(self, code, latest_only, newest):
        if latest_only:
            (index,) = self._read(code, lambda pipeline, keys: pipeline.hvals(keys[DRAWINGS_INDEX]))
            numbers = [json.loads(kept)[0][0] for kept in index]
        else:
            (numbers,) = self._read(code, lambda pipeline, keys: pipeline.hkeys(keys[DRAWINGS]))
        numbers = sorted(map(int, numbers), reverse=True)[:newest]
        records = self.client.hmget(self._keys(code)[DRAWINGS], numbers) if numbers else []
        return [drawing_of(record) for record in records if record is not None]

    def _counts(self, code):
        drawings, students = self._read(
            code, lambda pipeline, keys: pipeline.hlen(keys[DRAWINGS]).hlen(keys[DRAWINGS_INDEX]))
        return drawings, students

    def _version(self, code):
        (version,) = self._read(code, lambda pipeline, keys: pipeline.hget(keys[ROOM], "version"))
        return int(version)

    def _clear(self, code):
        self._write(self._clear_room, code)

    def _close(self, code):
        self.client.delete(*self._keys(code))

    def _set(self, code, name, value):
        self._write(self._set_field, code, name, value)

    def _runs(self, code):
        (records,) = self._read(code, lambda pipeline, keys: pipeline.hgetall(keys[RUNS]))
        return self._newest_first(records)

    def _answer(self, code, member, step, choice):
        self._refuse(code, self._run(self._answer_step, code, member, step, choice))

    def _answers(self, code):
        (tallies,) = self._read(code, lambda pipeline, keys: pipeline.hgetall(keys[TALLIES]))
        return [(*map(int, place.split(":")), int(members)) for place, members in tallies.items() if int(members)]

    def _keep_learned(self, code, learned, figures, weights):
        self._write(self._learn, code, learned, figures, base64.b64encode(weights).decode())

    def _learned(self, code):
        (kept,) = self._read(code, lambda pipeline, keys: pipeline.hmget(keys[ROOM], "learned", "learned_figures"))
        return None if kept[0] is None else tuple(kept)

    def _learned_weights(self, code, learned):
        (kept,) = self._read(code, lambda pipeline, keys: pipeline.hmget(keys[ROOM], "learned", "learned_weights"))
        return base64.b64decode(kept[1]) if kept[0] == learned else None

    def _use_learned(self, code, use):
        outcome = self._run(self._use, code, "1" if use else "0")
        if outcome == "NotLearned":
            return False
        self._refuse(code, outcome)
        return True
