// Your profile: display name, password, avatar (cropped and scaled in the browser to the 512×512 JPEG the API
// takes) and your signed-in devices, each of which you may sign out.
import { api } from "./api.js";
import { setUser } from "./app.js";
import { h, replace, table, toast } from "./dom.js";
import { moscowTime, t } from "./i18n.js";

const SIZE = 512;

export async function render(main, { user }) {
  const me = await api("GET", "/api/auth/me");
  const name = h("input", { id: "profile-name", value: me.name, required: true, maxlength: 200, autocomplete: "name" });
  const nameMessage = h("p", { role: "status", id: "name-message" });
  const current = h("input", { id: "current-password", type: "password", required: true, autocomplete: "current-password" });
  const next = h("input", { id: "new-password", type: "password", required: true, minlength: 10, maxlength: 72, autocomplete: "new-password" });
  const passwordMessage = h("p", { role: "status", id: "password-message" });
  const sessions = h("div", { id: "sessions" });

  async function loadSessions() {
    const list = await api("GET", "/api/auth/sessions");
    replace(sessions, table([
      [t("profile.device"), (session) => session.device || "—"],
      [t("profile.ip"), (session) => session.ip || "—"],
      [t("profile.lastUsed"), (session) => moscowTime(session.lastUsedAt)],
      [t("profile.expires"), (session) => moscowTime(session.expiresAt)],
      [t("fleet.actions"), (session) => session.current ? h("span", { class: "badge ok" }, t("profile.thisDevice"))
        : h("button", { type: "button", class: "secondary", "aria-label": t("profile.signOutDevice", { device: session.device || session.id }), onclick: async () => {
          try { await api("DELETE", `/api/auth/sessions/${session.id}`); toast(t("profile.deviceSignedOut")); } catch (error) { toast(error.message); }
          await loadSessions();
        } }, t("signOut"))],
    ], list, "", t("profile.sessions")));
  }

  replace(main,
    h("h1", {}, t("nav.profile")),
    h("section", { class: "card", "aria-labelledby": "name-title" },
      h("h2", { id: "name-title" }, t("profile.nameTitle")),
      h("form", { class: "stack", onsubmit: async (event) => {
        event.preventDefault();
        try {
          const updated = await api("PATCH", "/api/auth/me", { name: name.value });
          setUser(updated);
          nameMessage.textContent = t("profile.saved");
          document.getElementById("me").textContent = updated.name;
        } catch (error) { nameMessage.textContent = error.message; }
      } }, h("label", { for: "profile-name" }, t("users.name"), name), h("button", { type: "submit" }, t("assign.save")), nameMessage)),
    h("section", { class: "card", "aria-labelledby": "password-title" },
      h("h2", { id: "password-title" }, t("profile.passwordTitle")),
      h("form", { class: "stack", onsubmit: async (event) => {
        event.preventDefault();
        try {
          const result = await api("POST", "/api/auth/password", { currentPassword: current.value, newPassword: next.value });
          passwordMessage.textContent = t("profile.passwordChanged", { count: result.revoked });
          current.value = next.value = "";
          await loadSessions();
        } catch (error) {
          passwordMessage.textContent = error.code === "wrong_password" ? t("profile.wrongPassword") : error.message;
        }
      } },
        h("label", { for: "current-password" }, t("profile.currentPassword"), current),
        h("label", { for: "new-password" }, t("profile.newPassword"), next),
        h("button", { type: "submit" }, t("profile.changePassword")), passwordMessage)),
    avatarSection(me),
    h("section", { class: "card", "aria-labelledby": "sessions-title" },
      h("h2", { id: "sessions-title" }, t("profile.sessions")), sessions,
      h("button", { type: "button", class: "secondary", id: "revoke-others", onclick: async () => {
        try { await api("POST", "/api/auth/sessions/revoke-others"); toast(t("profile.othersSignedOut")); } catch (error) { toast(error.message); }
        await loadSessions();
      } }, t("profile.signOutOthers"))));
  void user;
  await loadSessions();
  document.body.dataset.profile = "ready";
}

/** The avatar: pick an image, drag it and zoom it under a square frame, upload the frame as a 512×512 JPEG. */
function avatarSection(me) {
  const image = me.avatarUrl ? h("img", { class: "avatar", id: "avatar-image", src: me.avatarUrl, alt: t("profile.avatarAlt") }) : h("p", { class: "muted", id: "avatar-image" }, t("profile.noAvatar"));
  const file = h("input", { id: "avatar-file", type: "file", accept: "image/*" });
  const canvas = h("canvas", { id: "avatar-canvas", width: SIZE, height: SIZE, hidden: true, role: "img", "aria-label": t("profile.cropPreview") });
  const zoom = h("input", { id: "avatar-zoom", type: "range", min: 1, max: 4, step: 0.01, value: 1, disabled: true });
  const upload = h("button", { type: "button", id: "avatar-upload", disabled: true }, t("profile.upload"));
  const message = h("p", { role: "status", id: "avatar-message" });
  const crop = { bitmap: null, x: 0, y: 0, scale: 1 };

  function draw() {
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, SIZE, SIZE);
    if (!crop.bitmap) return;
    const base = Math.max(SIZE / crop.bitmap.width, SIZE / crop.bitmap.height);
    const scale = base * crop.scale;
    const width = crop.bitmap.width * scale;
    const height = crop.bitmap.height * scale;
    crop.x = Math.min(0, Math.max(SIZE - width, crop.x));
    crop.y = Math.min(0, Math.max(SIZE - height, crop.y));
    context.drawImage(crop.bitmap, crop.x, crop.y, width, height);
  }

  file.addEventListener("change", async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    try {
      crop.bitmap = await createImageBitmap(chosen);
    } catch {
      message.textContent = t("profile.notImage");
      return;
    }
    const base = Math.max(SIZE / crop.bitmap.width, SIZE / crop.bitmap.height);
    crop.scale = 1;
    crop.x = (SIZE - crop.bitmap.width * base) / 2;
    crop.y = (SIZE - crop.bitmap.height * base) / 2;
    canvas.hidden = false;
    zoom.disabled = upload.disabled = false;
    zoom.value = 1;
    draw();
  });
  zoom.addEventListener("input", () => {
    const before = crop.scale;
    crop.scale = Number(zoom.value);
    crop.x = SIZE / 2 - ((SIZE / 2 - crop.x) * crop.scale) / before;
    crop.y = SIZE / 2 - ((SIZE / 2 - crop.y) * crop.scale) / before;
    draw();
  });
  let drag = null;
  canvas.addEventListener("pointerdown", (event) => { drag = { x: event.clientX, y: event.clientY }; canvas.setPointerCapture(event.pointerId); });
  canvas.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const ratio = SIZE / canvas.getBoundingClientRect().width;
    crop.x += (event.clientX - drag.x) * ratio;
    crop.y += (event.clientY - drag.y) * ratio;
    drag = { x: event.clientX, y: event.clientY };
    draw();
  });
  canvas.addEventListener("pointerup", () => { drag = null; });
  canvas.tabIndex = 0;
  canvas.addEventListener("keydown", (event) => {
    const step = { ArrowLeft: [16, 0], ArrowRight: [-16, 0], ArrowUp: [0, 16], ArrowDown: [0, -16] }[event.key];
    if (!step) return;
    event.preventDefault();
    crop.x += step[0];
    crop.y += step[1];
    draw();
  });
  upload.addEventListener("click", async () => {
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
    try {
      const updated = await api("PUT", "/api/auth/me/avatar", blob, { contentType: "image/jpeg" });
      setUser(updated);
      message.textContent = t("profile.avatarSaved");
      const fresh = h("img", { class: "avatar", id: "avatar-image", src: (updated.avatarUrl || "") + (updated.avatarUrl?.includes("?") ? "&" : "?") + Date.now(), alt: t("profile.avatarAlt") });
      document.getElementById("avatar-image").replaceWith(fresh);
      document.body.dataset.avatar = String(blob.size);
    } catch (error) { message.textContent = error.message; }
  });

  return h("section", { class: "card", "aria-labelledby": "avatar-title" },
    h("h2", { id: "avatar-title" }, t("profile.avatarTitle")), image,
    h("div", { class: "crop" },
      h("label", { for: "avatar-file" }, t("profile.chooseImage"), file),
      canvas,
      h("label", { for: "avatar-zoom" }, t("profile.zoom"), zoom),
      h("p", { class: "muted" }, t("profile.cropHelp")),
      upload, message));
}
