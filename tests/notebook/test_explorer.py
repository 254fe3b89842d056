"""The inventory explorer: pick, look, diff, promote and roll back, driven through the widget's own parts."""

from __future__ import annotations

import attini_sdk as at


def current(env, distribution: str) -> tuple[str, str]:
    row = env.inventory().set_index("distribution").loc[distribution]
    return str(row["version"]), str(row["distribution_id"])


def test_the_pickers_show_the_landscape_with_drift_and_the_history_of_the_selection(landscape):
    explorer = at.explore(["dev", "acc", "prod"], home=landscape["dev"].home)

    explorer.env_picker.value = "dev"
    explorer.dist_picker.value = "hello"

    assert explorer.dist_picker.options == ("gate", "hello")
    assert explorer.target_picker.options == ("acc", "prod")
    assert "rgba(212,167,44" in explorer.landscape_view.value  # acc runs hello 1.0.0, behind dev's 1.1.0
    assert explorer.landscape_view.value.count(">drift</span>") == 2  # nothing in prod: both drift
    assert "history of hello in dev" in explorer.history_view.value
    assert [value for _, value in explorer.revision_picker.options] == [4, 3, 2, 1]


def test_diff_compares_two_revisions_artifacts(landscape):
    explorer = at.explore(home=landscape["dev"].home)
    explorer.env_picker.value, explorer.dist_picker.value = "dev", "hello"
    explorer.revision_picker.value, explorer.compare_picker.value = 2, 1

    frame = explorer.diff()

    assert len(frame) > 0 and set(frame["change"].astype(str)) <= {"added", "removed", "changed"}
    assert "revision 1 → 2" in explorer.result.children[0].value


def test_promote_asks_then_deploys_the_selected_artifact_to_a_test_environment(landscape):
    dev, acc = landscape["dev"], landscape["acc"]
    explorer = at.explore(home=dev.home)
    explorer.env_picker.value, explorer.dist_picker.value = "dev", "hello"
    explorer.revision_picker.value, explorer.target_picker.value = 2, "acc"

    explorer.promote_button.click()
    assert explorer.confirm_box.layout.display == "flex" and explorer.confirm_name.layout.display == "none"
    assert current(acc, "hello")[0] == "1.0.0"  # nothing happens before Confirm
    explorer.confirm_button.click()
    explorer.last_deployment.wait(timeout=60)

    assert current(acc, "hello") == ("1.1.0", dev.deployment(2, "hello").distribution_id)
    assert explorer.result.children[0].deployment.id == explorer.last_deployment.id


def test_promoting_to_production_needs_its_name_typed(landscape):
    dev, prod = landscape["dev"], landscape["prod"]
    explorer = at.explore(home=dev.home)
    explorer.env_picker.value, explorer.dist_picker.value = "dev", "gate"
    explorer.target_picker.value = "prod"

    explorer.promote_button.click()
    assert explorer.confirm_name.layout.display == "flex"
    explorer.confirm_button.click()
    assert "type its name" in explorer.notice.value and prod.history().empty

    explorer.confirm_name.value = "prod"
    explorer.confirm_button.click()
    explorer.last_deployment.wait(timeout=60)

    assert current(prod, "gate")[0] == "1.0.0"


def test_cancel_forgets_the_question(landscape):
    explorer = at.explore(home=landscape["dev"].home)
    explorer.env_picker.value, explorer.dist_picker.value = "acc", "hello"

    explorer.rollback_button.click()
    explorer.cancel_button.click()
    explorer.confirm_button.click()

    assert explorer.last_deployment is None and len(landscape["acc"].history(distribution="hello")) == 1


def test_rollback_asks_then_rolls_back_and_a_refusal_is_shown(landscape):
    dev, acc = landscape["dev"], landscape["acc"]
    explorer = at.explore(home=dev.home)
    explorer.env_picker.value, explorer.dist_picker.value = "dev", "hello"

    explorer.rollback_button.click()
    explorer.confirm_button.click()
    explorer.last_deployment.wait(timeout=60)
    rollback = explorer.last_deployment.refresh()
    assert rollback.reason == "Rollback to 2" and rollback.revision == 5 and rollback.status == "succeeded"

    explorer.env_picker.value, explorer.dist_picker.value = "acc", "hello"  # one deployment: nothing earlier
    explorer.rollback_button.click()
    explorer.confirm_button.click()
    assert "refused" in explorer.notice.value and "only successful deployment" in explorer.notice.value
