"""Bad input on the Train page under AppTest (the browser cases are in test_browser_battery.py)."""
import time

from hall.line import Job
from tests.harness.apptest import button, train_page
from vaedemo.train import TrainConfig


def test_a_batch_larger_than_the_training_images_is_explained_and_the_run_still_works():
    job = Job(TrainConfig(epochs=1, hidden=32, train_size=300, batch_size=512)).start()
    deadline = time.monotonic() + 240
    while job.poll().active:
        assert time.monotonic() < deadline, job.poll().message
        time.sleep(0.2)
    at = train_page()
    at.session_state["train_job"] = job
    at.run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [
        "Finished: 1 epoch trained. Batch size 512 is larger than the 300 training images, so each step uses all 300."]
    assert job.poll().steps[-1]["step"] == 1  # one step of all 300 images
    button(at, "Use my model on every page").click().run()
    assert not at.exception
    assert at.session_state["my_model"].kind == "vae" and at.session_state["use_mine"] is True
