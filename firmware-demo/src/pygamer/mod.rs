//! The Adafruit PyGamer board: the ST7735 160x128 screen is the draw target (no framebuffer in
//! RAM), button A generates the next Pokémon with the next seed. Flash with `hf2 elf`.

use core::fmt::Write as _;

use cortex_m_rt::entry;
use panic_halt as _;
use pxby_core::model::Model;
use pxby_screen::{
    Screen,
    args::Options,
    demo::{self, Label},
};
use pygamer::{Keys, Pins, hal, pac};

use hal::{clock::GenericClockController, delay::Delay, prelude::*};
use pac::{CorePeripherals, Peripherals};

use crate::model_data;

#[entry]
fn main() -> ! {
    let (Some(mut peripherals), Some(core)) = (Peripherals::take(), CorePeripherals::take()) else {
        halt()
    };
    let mut clocks = GenericClockController::with_internal_32kosc(
        peripherals.gclk,
        &mut peripherals.mclk,
        &mut peripherals.osc32kctrl,
        &mut peripherals.oscctrl,
        &mut peripherals.nvmctrl,
    );
    let pins = Pins::new(peripherals.port).split();
    let mut delay = Delay::new(core.SYST, &mut clocks);
    let Ok((mut display, _backlight)) = pins.display.init(
        &mut clocks,
        peripherals.sercom4,
        &mut peripherals.mclk,
        peripherals.tc2,
        &mut delay,
    ) else {
        halt()
    };
    let mut buttons = pins.buttons.init();
    // A corrupt model leaves the screen dark: nothing else can be shown without it.
    let Ok(mut model) = Model::from_bytes(model_data::bytes()) else {
        halt()
    };
    if model_data::attach_wide(&mut model).is_err() {
        halt()
    }

    let mut seed: u64 = 1;
    loop {
        let opts = Options {
            seed,
            ..Options::default()
        };
        let mut label = Label::new();
        let _ = write!(label.as_mut_view(), "seed {seed} A:next");
        let mut screen = Screen::with_label(label.as_str());
        if screen.draw_frame(&mut display).is_ok() {
            // Drawing errors (SPI) end this Pokémon early; the button still starts the next.
            let _ = demo::run(&model, &opts, &mut screen, &mut display, |_| {}, || 0);
            let _ = screen.finish(&mut display);
        }
        'wait: loop {
            for event in buttons.events() {
                if event == Keys::ADown {
                    break 'wait;
                }
            }
            delay.delay_ms(20u16);
        }
        seed = seed.wrapping_add(1);
    }
}

fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
